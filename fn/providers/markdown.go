package providers

import (
	"fmt"
	"strings"
)

// TableBegin and TableEnd mark the README's provider table.
const (
	TableBegin = "<!-- providers:begin (generated from fn/providers; make golden rewrites it) -->\n"
	TableEnd   = "<!-- providers:end -->"
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
			creds = append(creds, c+linesNote(s.Lines))
		}
		if c := p.Credentials; c != nil {
			creds = append(creds, fmt.Sprintf("`%s` → file, path in `%s`", c.Key, c.Env))
		}
		if len(creds) == 0 {
			creds = []string{"none"}
		}
		var settings []string
		seen := map[string]bool{}
		for _, s := range p.Settings {
			if seen[s.Env] {
				continue // the same variable on another line
			}
			seen[s.Env] = true
			name := "`" + s.Env + "`"
			if s.Required {
				name += "*"
			}
			if s.Suffix != "" {
				name += fmt.Sprintf(" (ending in `%s` on %s)", s.Suffix, strings.Join(s.Lines, ", "))
			} else {
				name += linesNote(s.Lines)
			}
			settings = append(settings, name)
		}
		model := "`" + p.DefaultModel + "`"
		if p.DefaultModel == "" {
			model = "required"
		}
		fmt.Fprintf(&b, "| %s (%s)%s | %s | %s | %s |\n", p.Name, p.DisplayName, linesNote(p.Lines), strings.Join(creds, ", "), strings.Join(settings, ", "), model)
	}
	return b.String()
}

func linesNote(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return " (" + strings.Join(lines, ", ") + " only)"
}
