package transform

import (
	"github.com/llamastack-integration/llamastack-integration/fn/maas"
)

// maasGoverned keeps ODH's authentication on for a service that MaaS governs (spec.maas, or
// the legacy tiers annotation): enable-auth "true", which MaaS asks for so that no anonymous
// AuthPolicy conflicts with its MaaSAuthPolicy. A value the user set stays, with a warning.
// It also says that the tiers annotation is legacy when spec.maas does not replace it.
func (a *applier) maasGoverned() error {
	meta := field(a.isvc.YNode(), "metadata")
	_, tiers := stringValue(field(meta, "annotations"), maas.TiersAnnotation)
	if a.cfg.MaaS == nil && !tiers {
		return nil
	}
	if a.cfg.MaaS == nil {
		from := "the input"
		if a.cfg.SetTiers {
			from = "spec.tiers"
		}
		a.warn("metadata.annotations."+maas.TiersAnnotation, "is legacy MaaS's access annotation (from %s), which current MaaS no longer reads: it grants access with MaaSAuthPolicy and MaaSSubscription. Set spec.maas to generate them, and remove spec.tiers and the annotation, to silence this warning", from)
	}
	annotations, err := mapAt(meta, "annotations", "metadata.annotations")
	if err != nil {
		return err
	}
	const path = "metadata.annotations." + maas.EnableAuthAnnotation
	value, set := stringValue(annotations, maas.EnableAuthAnnotation)
	switch {
	case !set:
		setString(annotations, maas.EnableAuthAnnotation, maas.EnableAuth)
		a.changed(true, "annotation %s=%s (MaaS governs the model)", maas.EnableAuthAnnotation, maas.EnableAuth)
	case value != maas.EnableAuth:
		a.warn(path, "is %q, kept as set; MaaS asks for %q on the models it governs: %s. Set it to %q, or remove it and the function sets it, to silence this warning",
			shown(value), maas.EnableAuth, maas.AuthEffect(value), maas.EnableAuth)
	}
	return nil
}
