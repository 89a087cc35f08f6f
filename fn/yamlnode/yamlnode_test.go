package yamlnode

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// TestTruncateAndPrintable: a message shows at most 64 characters of a value and 256 of a
// name or path, cut between two characters and marked with "...", and quotes what a
// terminal would not show as itself.
func TestTruncateAndPrintable(t *testing.T) {
	long := strings.Repeat("a", 200_000)
	for _, tc := range []struct {
		name, in, truncated, printable string
	}{
		{"short", "gpt-4o", "gpt-4o", "gpt-4o"},
		{"exactly 64", strings.Repeat("b", 64), strings.Repeat("b", 64), strings.Repeat("b", 64)},
		{"long", long, strings.Repeat("a", 64) + "...", strings.Repeat("a", 256) + "..."},
		{"multi-byte characters are not split", strings.Repeat("é", 100), strings.Repeat("é", 64) + "...", strings.Repeat("é", 100)},
		{"bidi character", "llm\u202eevil", "llm\u202eevil", `"llm\u202eevil"`},
		{"long with a control character", "\n" + long, "\n" + strings.Repeat("a", 63) + "...", `"\n` + strings.Repeat("a", 63) + `..."`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.truncated, Truncate(tc.in))
			require.Equal(t, tc.printable, Printable(tc.in))
			require.True(t, utf8.ValidString(Truncate(tc.in)))
		})
	}
}
