//go:build !linux

package main

import (
	"errors"
	"sync/atomic"
)

// fleet needs epoll: the subscriber row runs on Linux only.
type fleet struct {
	got                  []int64
	ready, arrived, dead atomic.Int64
	stop                 atomic.Bool
}

func openFleet(string, string, int) (*fleet, error) {
	return nil, errors.New("the subscriber fleet needs Linux (epoll)")
}

func (f *fleet) loop()  {}
func (f *fleet) close() {}
