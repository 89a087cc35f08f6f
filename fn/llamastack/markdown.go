package llamastack

import (
	"fmt"
	"strings"
)

// TableBegin and TableEnd mark the README's table of lines.
const (
	TableBegin = "<!-- lines:begin (generated from fn/llamastack; make golden rewrites it) -->\n"
	TableEnd   = "<!-- lines:end -->"
)

// MarkdownTable renders the lines and their images as the README's table.
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| line (`imageLine`) | images | runs | state | `/metrics` counts chats in | providers, limits |\n|---|---|---|---|---|---|\n")
	for _, l := range lines {
		var repos []string
		for _, im := range images {
			if im.Line == l.Name {
				repos = append(repos, "`"+im.Repository+"`"+noted(im.Note))
			}
		}
		runs := "the image's `" + l.ImageConfig + "`"
		if l.ImageConfig == "" {
			runs = "the starter's `" + l.StarterConfigs[0] + "`"
		}
		state := "SQLite"
		if l.Postgres {
			state = "SQLite or PostgreSQL"
		}
		shipped := "the starter's"
		if l.Providers != nil {
			shipped = strings.Join(l.Providers, ", ")
		}
		metrics := l.Metrics.Counts
		if l.Metrics.Counter != "" {
			metrics = "`" + l.Metrics.Counter + "` (" + l.Metrics.Counts + ")"
		}
		limits := l.Limits
		if !l.NetworkBlock {
			limits += "; no per-provider `network` timeouts, headers or proxy (only vllm's TLS verification; `spec.network`'s proxy and CA work)"
		}
		if l.NoAWSIdentity != "" {
			limits += "; no Bedrock `identity.aws`: " + l.NoAWSIdentity
		}
		fmt.Fprintf(&b, "| %s: %s | %s | %s | %s | %s | %s; %s |\n", l.Name, l.Versions, strings.Join(repos, ", "), runs, state, metrics, shipped, limits)
	}
	return b.String()
}

func noted(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}
