package generate

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The generated objects as small yaml-tagged structs. Fields are in the order they are
// written: metadata's name, namespace, annotations, labels; every spec's fields sorted by name.

// object is the frame of every generated object.
type object[S any] struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   metadata `yaml:"metadata"`
	Spec       *S       `yaml:"spec,omitempty"`
}

type metadata struct {
	Name        string      `yaml:"name"`
	Namespace   string      `yaml:"namespace,omitempty"`
	Annotations annotations `yaml:"annotations"`
	Labels      labels      `yaml:"labels"`
}

type annotations struct {
	GeneratedFor string `yaml:"llamastack.opendatahub.io/generated-for"`
	DisplayName  quoted `yaml:"openshift.io/display-name,omitempty"`
	Description  quoted `yaml:"openshift.io/description,omitempty"`
	// MaaS's model details (maas.ModelDetails).
	GenAIUseCase      quoted `yaml:"opendatahub.io/genai-use-case,omitempty"`
	ContextWindow     quoted `yaml:"opendatahub.io/context-window,omitempty"`
	ModelCapabilities quoted `yaml:"opendatahub.io/model-capabilities,omitempty"`
}

type labels struct {
	Instance string `yaml:"app.kubernetes.io/instance"`
	// Provider is the service's first provider; the program's ConfigMap, which serves
	// services of any provider, has none.
	Provider string `yaml:"provider,omitempty"`
}

type modelRefSpec struct {
	ModelRef struct {
		Kind string `yaml:"kind"`
		Name string `yaml:"name"`
	} `yaml:"modelRef"`
}

type authPolicySpec struct {
	ModelRefs []modelRefName `yaml:"modelRefs"`
	Subjects  subjects       `yaml:"subjects"`
}

type subscriptionSpec struct {
	ModelRefs []limitedModelRef `yaml:"modelRefs"`
	Owner     subjects          `yaml:"owner"`
	Priority  *int32            `yaml:"priority,omitempty"`
}

type modelRefName struct {
	Name      string `yaml:"name"`
	Namespace string `yaml:"namespace"`
}

type limitedModelRef struct {
	Name            string           `yaml:"name"`
	Namespace       string           `yaml:"namespace"`
	TokenRateLimits []tokenRateLimit `yaml:"tokenRateLimits"`
}

type tokenRateLimit struct {
	Limit  int64  `yaml:"limit"`
	Window string `yaml:"window"`
}

type subjects struct {
	Groups []group  `yaml:"groups,omitempty"`
	Users  []string `yaml:"users,omitempty"`
}

type group struct {
	Name string `yaml:"name"`
}

type networkPolicySpec struct {
	Egress      []portsRule   `yaml:"egress"`
	Ingress     []ingressRule `yaml:"ingress"`
	PodSelector selector      `yaml:"podSelector"`
	PolicyTypes []string      `yaml:"policyTypes"`
}

type ingressRule struct {
	From  []peer `yaml:"from"`
	Ports []port `yaml:"ports"`
}

type portsRule struct {
	Ports []port `yaml:"ports"`
}

type peer struct {
	NamespaceSelector selector `yaml:"namespaceSelector"`
}

type selector struct {
	MatchLabels workloadLabels `yaml:"matchLabels"`
}

// workloadLabels select KServe's workload pods of a service, or a namespace by name.
type workloadLabels struct {
	Name          string `yaml:"app.kubernetes.io/name,omitempty"`
	PartOf        string `yaml:"app.kubernetes.io/part-of,omitempty"`
	Component     string `yaml:"kserve.io/component,omitempty"`
	NamespaceName string `yaml:"kubernetes.io/metadata.name,omitempty"`
}

type port struct {
	Protocol string `yaml:"protocol"`
	Port     int64  `yaml:"port"`
}

type claimSpec struct {
	AccessModes []string `yaml:"accessModes"`
	Resources   struct {
		Requests struct {
			Storage string `yaml:"storage"`
		} `yaml:"requests"`
	} `yaml:"resources"`
}

// quoted is an annotation value written in single quotes, as kyaml's SetAnnotation writes
// them (some tools misread the type of an unquoted annotation).
type quoted string

// MarshalYAML implements yaml.Marshaler.
func (q quoted) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: string(q), Style: yaml.SingleQuotedStyle}, nil
}

// rnode encodes a generated object into the node the ResourceList carries.
func rnode(v any) *yaml.RNode {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		panic(fmt.Sprintf("generate: cannot encode %T: %v", v, err)) // the types above always encode
	}
	return yaml.NewRNode(&n)
}
