package api

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// Event is one Server-Sent Event as read off the wire.
type Event struct {
	// ID is the event's id field, or the last id seen before it.
	ID string
	// Name is the event field; "message" when the server sent none.
	Name string
	// Data is the data lines joined with "\n".
	Data string
}

// maxLine bounds one line of a stream, so a hostile server cannot make the
// client buffer without end.
const maxLine = 1 << 20

// ErrLineTooLong is returned for a stream line longer than 1 MiB.
var ErrLineTooLong = errors.New("event stream line longer than 1 MiB")

// SSEReader parses a text/event-stream as the HTML standard describes:
// comments and unknown fields are ignored, data lines are joined, an event is
// dispatched at a blank line, and "retry" sets the reconnection delay.
type SSEReader struct {
	r           *bufio.Reader
	lastEventID string
	retry       time.Duration
}

// NewSSEReader reads events from r.
func NewSSEReader(r io.Reader) *SSEReader {
	return &SSEReader{r: bufio.NewReaderSize(r, 4096)}
}

// LastEventID is the last id the stream set.
func (s *SSEReader) LastEventID() string { return s.lastEventID }

// Retry is the reconnection delay the stream asked for, or 0.
func (s *SSEReader) Retry() time.Duration { return s.retry }

// Next returns the next event. At the end of the stream it returns io.EOF;
// an event not yet ended by a blank line is discarded, as the standard says.
func (s *SSEReader) Next() (Event, error) {
	var data bytes.Buffer
	var name string
	hasData := false
	for {
		line, err := s.readLine()
		if err != nil {
			return Event{}, err
		}
		if line == "" {
			if !hasData {
				name = ""
				continue
			}
			if name == "" {
				name = "message"
			}
			d := data.Bytes()
			d = bytes.TrimSuffix(d, []byte("\n"))
			return Event{ID: s.lastEventID, Name: name, Data: string(d)}, nil
		}
		if line[0] == ':' {
			continue
		}
		field, value, found := strings.Cut(line, ":")
		if found {
			value = strings.TrimPrefix(value, " ")
		}
		switch field {
		case "event":
			name = value
		case "data":
			data.WriteString(value)
			data.WriteByte('\n')
			hasData = true
		case "id":
			if !strings.ContainsRune(value, 0) {
				s.lastEventID = value
			}
		case "retry":
			if ms, err := strconv.ParseUint(value, 10, 31); err == nil {
				s.retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
}

// readLine returns one line without its ending (\n, \r\n).
func (s *SSEReader) readLine() (string, error) {
	var buf []byte
	for {
		chunk, isPrefix, err := s.r.ReadLine()
		if err != nil {
			if err == io.EOF && len(buf) > 0 {
				return "", io.ErrUnexpectedEOF
			}
			return "", err
		}
		buf = append(buf, chunk...)
		if len(buf) > maxLine {
			return "", ErrLineTooLong
		}
		if !isPrefix {
			return strings.TrimSuffix(string(buf), "\r"), nil
		}
	}
}
