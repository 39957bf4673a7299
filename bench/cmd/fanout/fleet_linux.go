package main

import (
	"bytes"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// fleet is N subscriber sockets read by one epoll loop on one thread: the
// subscribers share the machine's two cores with the emulator, so they are
// kept as cheap as a reader can be (one read per event, no goroutine per
// socket). Each socket is armed one-shot and re-armed only while it still
// waits for something, so a subscriber that got the event costs nothing more.
type fleet struct {
	epfd  int
	fds   []int
	state []uint8  // 0: waiting for the stream to open, 1: open, 2: got the event
	tail  [][]byte // the end of the last read, for tokens split across reads
	got   []int64  // unix ns of the event's arrival

	ready, arrived, dead atomic.Int64
	stop                 atomic.Bool
	done                 chan struct{}
}

func openFleet(hostport, request string, n int) (*fleet, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	ip := net.ParseIP(host).To4()
	p, _ := strconv.Atoi(port)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("the fleet connects to IPv4 loopback only, not %s", host)
	}
	sa := &syscall.SockaddrInet4{Port: p, Addr: [4]byte(ip)}
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	f := &fleet{epfd: epfd, state: make([]uint8, n), tail: make([][]byte, n), got: make([]int64, n), done: make(chan struct{})}
	req := []byte(request)
	for i := range n {
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			f.close()
			return nil, fmt.Errorf("socket %d: %w", i, err)
		}
		f.fds = append(f.fds, fd)
		if err := syscall.Connect(fd, sa); err != nil {
			f.close()
			return nil, fmt.Errorf("connect %d: %w", i, err)
		}
		if _, err := syscall.Write(fd, req); err != nil {
			f.close()
			return nil, fmt.Errorf("request %d: %w", i, err)
		}
		syscall.SetNonblock(fd, true)
		if err := f.arm(i, syscall.EPOLL_CTL_ADD); err != nil {
			f.close()
			return nil, err
		}
	}
	return f, nil
}

func (f *fleet) arm(i, op int) error {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: int32(i)}
	return syscall.EpollCtl(f.epfd, op, f.fds[i], &ev)
}

var (
	tokOpen  = []byte("retry: ")
	tokEvent = []byte("event: provisioning")
)

// loop reads the sockets as they become readable until stop.
func (f *fleet) loop() {
	runtime.LockOSThread()
	defer close(f.done)
	events := make([]syscall.EpollEvent, 512)
	buf := make([]byte, 4096)
	for !f.stop.Load() {
		k, err := syscall.EpollWait(f.epfd, events, 50)
		if err != nil && err != syscall.EINTR {
			return
		}
		for _, ev := range events[:max(k, 0)] {
			i := int(ev.Fd)
			m, err := syscall.Read(f.fds[i], buf)
			now := time.Now().UnixNano()
			if m <= 0 {
				if err == syscall.EAGAIN {
					f.arm(i, syscall.EPOLL_CTL_MOD)
					continue
				}
				f.dead.Add(1) // closed: it will not get the event
				continue
			}
			seen := append(f.tail[i], buf[:m]...)
			if f.state[i] == 0 && bytes.Contains(seen, tokOpen) {
				f.state[i] = 1
				f.ready.Add(1)
			}
			if f.state[i] == 1 && bytes.Contains(seen, tokEvent) {
				f.state[i] = 2
				atomic.StoreInt64(&f.got[i], now)
				f.arrived.Add(1)
				continue // not re-armed: done with this one
			}
			f.tail[i] = append(f.tail[i][:0], seen[max(0, len(seen)-len(tokEvent)):]...)
			f.arm(i, syscall.EPOLL_CTL_MOD)
		}
	}
}

func (f *fleet) close() {
	f.stop.Store(true)
	select {
	case <-f.done:
	case <-time.After(time.Second):
	}
	for _, fd := range f.fds {
		syscall.Close(fd)
	}
	syscall.Close(f.epfd)
}
