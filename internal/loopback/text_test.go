package loopback

import (
	"strings"
	"testing"
)

func TestCleanValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"access_denied", "access_denied"},
		{"  padded  ", "padded"},
		{"red \x1b[31mALERT\x1b[0m", "red  [31mALERT [0m"},
		{"line\nbreak\r\n", "line break"},
		{"bidi \u202eevil", "bidi  evil"},
		{strings.Repeat("é", 600), strings.Repeat("é", 500) + "…"},
	}
	for _, tt := range tests {
		if got := CleanValue(tt.in); got != tt.want {
			t.Errorf("CleanValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
