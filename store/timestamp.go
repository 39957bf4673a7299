package store

import (
	"encoding/json"
	"time"
)

// Timestamp is an RFC 3339 time in UTC with a "Z" and up to nine fractional
// digits, as the reference client writes them. A value read from a file keeps
// its original text, so a round trip writes the same bytes.
type Timestamp struct {
	time.Time
	raw string
}

// Now returns the current time as a Timestamp.
func Now() Timestamp { return At(time.Now()) }

// At wraps t (converted to UTC).
func At(t time.Time) Timestamp { return Timestamp{Time: t.UTC()} }

// String formats the timestamp as it is written to files.
func (t Timestamp) String() string {
	if t.raw != "" {
		return t.raw
	}
	return t.Time.UTC().Format(time.RFC3339Nano)
}

// MarshalJSON writes the timestamp as a JSON string.
func (t Timestamp) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// UnmarshalJSON reads an RFC 3339 string.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*t = Timestamp{Time: p.UTC(), raw: s}
	return nil
}
