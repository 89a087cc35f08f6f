// Package maas holds what the function must know of Open Data Hub's Models-as-a-Service:
// its API version, and the annotations it reads (models-as-a-service at its release tags).
package maas

import "encoding/json"

const (
	// APIVersion is the API version of MaaS's CRDs (MaaSModelRef, MaaSAuthPolicy,
	// MaaSSubscription).
	APIVersion = "maas.opendatahub.io/v1alpha1"
	// TiersAnnotation is legacy MaaS's access annotation: a JSON array of tier names.
	TiersAnnotation = "alpha.maas.opendatahub.io/tiers"
	// DisplayNameAnnotation and DescriptionAnnotation are what MaaS shows of a model.
	DisplayNameAnnotation = "openshift.io/display-name"
	DescriptionAnnotation = "openshift.io/description"
	// MaxModelRefName is the longest model name MaaS's modelRefs accept.
	MaxModelRefName = 63
)

// Tiers reads the tiers annotation: a JSON array of tier names ([] for every tier). It
// reports false for anything else, which MaaS cannot read.
func Tiers(annotation string) ([]string, bool) {
	var tiers []string
	if err := json.Unmarshal([]byte(annotation), &tiers); err != nil || tiers == nil {
		return nil, false
	}
	return tiers, true
}

// TiersAnnotationValue is the annotation's value for tiers.
func TiersAnnotationValue(tiers []string) string {
	b, _ := json.Marshal(append([]string{}, tiers...))
	return string(b)
}
