// Package maas holds what the function must know of Open Data Hub's Models-as-a-Service:
// its API version, and the annotations it reads (models-as-a-service at its release tags).
package maas

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
