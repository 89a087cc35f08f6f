package generate

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/config"
)

// trustedCAConfigMap is the empty ConfigMap that OpenShift's Cluster Network Operator fills
// with the cluster's trusted CA bundle (key ca-bundle.crt) because of its label; generated
// when spec.trustedCA names none. It has no data of its own, so that applying it again never
// removes the injected bundle.
func trustedCAConfigMap(isvc *yaml.RNode, cfg *config.Config) []*yaml.RNode {
	n := cfg.Network
	if n == nil || !n.GenerateTrustedCA {
		return nil
	}
	o := rnode(object[struct{}]{APIVersion: "v1", Kind: "ConfigMap", Metadata: meta(n.TrustedCAName(isvc.GetName()), isvc.GetNamespace(), isvc, cfg)})
	labels, _ := o.Pipe(yaml.LookupCreate(yaml.MappingNode, "metadata", "labels"))
	_ = labels.PipeE(yaml.SetField(v1alpha1.TrustedCALabel, yaml.NewStringRNode("true")))
	return []*yaml.RNode{o}
}
