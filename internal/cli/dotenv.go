package cli

import (
	"fmt"
	"strings"
)

// envPair is one KEY=VALUE of a .env file, with its line for messages.
type envPair struct {
	Key   string
	Value string
	Line  int
}

// parseDotenv reads the common .env format:
//
//   - blank lines and lines starting with # are skipped;
//   - a line may start with "export ";
//   - KEY=VALUE, with spaces around = and around an unquoted value trimmed;
//   - an unquoted value ends at " #" (a comment);
//   - 'single quotes' keep everything literally;
//   - "double quotes" understand \n, \r, \t, \", \\ and \$, and may span
//     several lines;
//   - a key given twice keeps its last value.
//
// Errors name the line, never a value.
func parseDotenv(text string) ([]envPair, error) {
	text = strings.TrimPrefix(text, "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	var out []envPair
	index := map[string]int{}
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "export"); ok && (strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "\t")) {
			line = strings.TrimSpace(rest)
		}
		key, rawValue, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok {
			return nil, fmt.Errorf("line %d: expected KEY=VALUE", lineNo)
		}
		if !validSecretName(key) {
			return nil, fmt.Errorf("line %d: %q is not a valid name (letters, digits and _, not starting with a digit)", lineNo, key)
		}
		raw := strings.TrimLeft(rawValue, " \t")
		var value string
		switch {
		case strings.HasPrefix(raw, "'"):
			end := strings.Index(raw[1:], "'")
			if end < 0 {
				return nil, fmt.Errorf("line %d: the value of %s has no closing '", lineNo, key)
			}
			value = raw[1 : 1+end]
			if err := onlyComment(raw[2+end:], lineNo, key); err != nil {
				return nil, err
			}
		case strings.HasPrefix(raw, `"`):
			// The value may go on over the next lines until the closing quote.
			body := raw[1:]
			start := lineNo
			for {
				v, rest, closed := unquoteDouble(body)
				if closed {
					value = v
					if err := onlyComment(rest, lineNo, key); err != nil {
						return nil, err
					}
					break
				}
				i++
				lineNo = i + 1
				if i >= len(lines) {
					return nil, fmt.Errorf("line %d: the value of %s has no closing \"", start, key)
				}
				body += "\n" + lines[i]
			}
		default:
			value = rawValue // keep the space before a comment: KEY= # note is empty
			if j := strings.Index(value, " #"); j >= 0 {
				value = value[:j]
			} else if j := strings.Index(value, "\t#"); j >= 0 {
				value = value[:j]
			}
			value = strings.TrimSpace(value)
		}
		if k, seen := index[key]; seen {
			out[k] = envPair{Key: key, Value: value, Line: lineNo}
			continue
		}
		index[key] = len(out)
		out = append(out, envPair{Key: key, Value: value, Line: lineNo})
	}
	return out, nil
}

// unquoteDouble reads a double-quoted value up to its closing quote: the
// value, what follows the quote, and whether the quote was found.
func unquoteDouble(s string) (string, string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			return b.String(), s[i+1:], true
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '"', '\\', '$', '\'':
				b.WriteByte(s[i])
			default:
				b.WriteByte('\\')
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

func onlyComment(rest string, line int, key string) error {
	rest = strings.TrimSpace(rest)
	if rest == "" || strings.HasPrefix(rest, "#") {
		return nil
	}
	return fmt.Errorf("line %d: unexpected text after the quoted value of %s", line, key)
}

// validSecretName accepts environment variable names: a letter or _, then
// letters, digits and _.
func validSecretName(k string) bool {
	if k == "" || len(k) > 256 {
		return false
	}
	for i, ch := range k {
		switch {
		case ch == '_', ch >= 'A' && ch <= 'Z', ch >= 'a' && ch <= 'z':
		case ch >= '0' && ch <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
