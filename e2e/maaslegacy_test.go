package e2e

// legacyTiersWarning matches the warning every render of a deploy overlay prints for the
// service named service: the overlays grant access with legacy MaaS's tiers annotation
// (spec.tiers), not with spec.maas.
func legacyTiersWarning(service string) string {
	return `llamastack-integration: warning: LLMInferenceService llm/` + service + `: metadata\.annotations\.alpha\.maas\.opendatahub\.io/tiers: is legacy MaaS's access annotation \(from spec\.tiers\)[^\n]*\n`
}
