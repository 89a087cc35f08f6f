package providers

import (
	"fmt"
	"strings"
)

// MarkdownTable renders the registry as the README's provider table.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| provider | credentials (Secret key → variable) | settings (`spec.settings`; * required) | default model |\n")
	b.WriteString("|---|---|---|---|\n")
	for _, p := range All() {
		var creds []string
		for _, s := range p.Secrets {
			c := fmt.Sprintf("`%s` → `%s`", s.Key, s.Env)
			if s.Optional {
				c += " (optional)"
			}
			creds = append(creds, c)
		}
		if c := p.Credentials; c != nil {
			creds = append(creds, fmt.Sprintf("`%s` → file, path in `%s`", c.Key, c.Env))
		}
		if len(creds) == 0 {
			creds = []string{"none"}
		}
		var settings []string
		for _, s := range p.Settings {
			name := "`" + s.Env + "`"
			if s.Required {
				name += "*"
			}
			settings = append(settings, name)
		}
		model := "`" + p.DefaultModel + "`"
		if p.DefaultModel == "" {
			model = "required"
		}
		fmt.Fprintf(&b, "| %s (%s) | %s | %s | %s |\n", p.Name, p.DisplayName, strings.Join(creds, ", "), strings.Join(settings, ", "), model)
	}
	return b.String()
}
