package store

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/spcloud/spcloud"
)

// SelectionFile is the name of spcloud's own settings file in .systemprompt/,
// holding the tenant chosen with `spcloud tenant select`. The reference
// client neither reads nor writes it, so a selection made here does not
// change what the reference client acts on.
const SelectionFile = "spcloud.json"

// selectedKey is the field of SelectionFile naming the selected tenant.
const selectedKey = "selected_tenant"

// LoadSelection returns the selected tenant id of the file at path, "" when
// the file or the field is absent. A file that does not parse is
// ErrFileSystem naming it.
func LoadSelection(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	fields, err := parseSettings(b)
	if err != nil {
		return "", spcloud.E(spcloud.ErrFileSystem, path+" is not valid JSON; delete it or run 'spcloud tenant select ID'", err)
	}
	var id string
	if raw, ok := fields[selectedKey]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &id); err != nil {
			return "", spcloud.E(spcloud.ErrFileSystem, path+": "+selectedKey+" is not a string", err)
		}
	}
	return strings.TrimSpace(id), nil
}

// SaveSelection records id as the selected tenant in the file at path (""
// removes the selection), under the store's lock, atomically, 0600, with a
// .gitignore in the folder. Other fields of the file are kept; a file that
// does not parse is replaced.
func SaveSelection(path, id string) error {
	return Update(path, func(current []byte) ([]byte, error) {
		fields := map[string]json.RawMessage{}
		if current != nil {
			if parsed, err := parseSettings(current); err == nil {
				fields = parsed
			}
		}
		if id == "" {
			if _, ok := fields[selectedKey]; !ok && current != nil {
				return nil, nil // nothing to change
			}
			delete(fields, selectedKey)
		} else {
			raw, _ := json.Marshal(id)
			fields[selectedKey] = raw
		}
		b, err := json.MarshalIndent(fields, "", "  ")
		if err != nil {
			return nil, err
		}
		return append(b, '\n'), nil
	})
}

// ClearSelection removes the selection when it names id (a tenant that was
// deleted), and reports whether it did.
func ClearSelection(path, id string) (bool, error) {
	if sel, err := LoadSelection(path); err != nil || sel != id {
		return false, nil // nothing to clear; a broken file is not ours to fix here
	}
	cleared := false
	err := Update(path, func(current []byte) ([]byte, error) {
		if current == nil {
			return nil, nil
		}
		fields, err := parseSettings(current)
		if err != nil {
			return nil, nil
		}
		var sel string
		if raw, ok := fields[selectedKey]; !ok || json.Unmarshal(raw, &sel) != nil || sel != id {
			return nil, nil
		}
		delete(fields, selectedKey)
		cleared = true
		b, err := json.MarshalIndent(fields, "", "  ")
		if err != nil {
			return nil, err
		}
		return append(b, '\n'), nil
	})
	return cleared, err
}

func parseSettings(b []byte) (map[string]json.RawMessage, error) {
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(b, &fields); err != nil {
		return nil, err
	}
	if fields == nil { // the file holds null
		fields = map[string]json.RawMessage{}
	}
	return fields, nil
}
