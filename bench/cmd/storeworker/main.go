// Command storeworker is one process of the "file store" row: it makes N
// locked read-modify-write updates of a tenants.json through
// store.UpdateTenants (lock file, read, parse, change, write a temporary
// file, fsync, rename, fsync the folder), each adding one to a counter kept
// in the file (the name of tenant "bench-counter") and to its own entry
// ("bench-w<K>"). With -baseline it makes the same number of bare locked
// writes instead (flock, write, fsync, rename, fsync the folder, no JSON):
// the floor the disk and the lock set.
//
// bench/store.sh starts eight of these at once and checks that no update
// was lost: the counter must equal the sum of all updates.
//
//	storeworker -file DIR/tenants.json -worker K -n N [-baseline] [-check TOTAL]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/spcloud/spcloud/store"
)

func main() {
	file := flag.String("file", "", "tenants.json to update")
	worker := flag.Int("worker", 0, "this worker's number")
	n := flag.Int("n", 100, "updates to make")
	baseline := flag.Bool("baseline", false, "bare locked writes, no JSON store")
	check := flag.Int("check", -1, "only check that the counter equals this and exit")
	start := flag.Int64("start", 0, "unix ns to wait for before starting (so all workers start together)")
	flag.Parse()
	if *file == "" {
		fail(fmt.Errorf("-file is required"))
	}
	if *check >= 0 {
		checkCounter(*file, *check, *baseline)
		return
	}
	if d := time.Until(time.Unix(0, *start)); d > 0 {
		time.Sleep(d)
	}
	t0 := time.Now()
	for i := range *n {
		var err error
		if *baseline {
			err = bareUpdate(*file, *worker, i)
		} else {
			err = update(*file, *worker)
		}
		if err != nil {
			fail(err)
		}
	}
	fmt.Printf("%d %d\n", *n, time.Since(t0).Nanoseconds())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "storeworker:", err)
	os.Exit(1)
}

// update adds one to the shared counter and to this worker's entry.
func update(path string, worker int) error {
	_, err := store.UpdateTenants(path, func(s *store.TenantStore) error {
		bump(s, "bench-counter")
		bump(s, "bench-w"+strconv.Itoa(worker))
		return nil
	})
	return err
}

func bump(s *store.TenantStore, id string) {
	t := s.Find(id)
	if t == nil {
		s.Put(store.StoredTenant{ID: id, Name: "0", TenantType: store.TenantLocal})
		t = s.Find(id)
	}
	n, _ := strconv.Atoi(t.Name)
	t.Name = strconv.Itoa(n + 1)
}

// bareUpdate is the floor: the same lock, read, write, fsync, rename and
// folder fsync with no JSON and no store. The counter is the file's text.
func bareUpdate(path string, worker, i int) error {
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	n, _ := strconv.Atoi(string(b))
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".bare-*")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(strconv.Itoa(n + 1)); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	tmp.Close()
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func checkCounter(path string, want int, baseline bool) {
	var got int
	if baseline {
		b, err := os.ReadFile(path)
		if err != nil {
			fail(err)
		}
		got, _ = strconv.Atoi(string(b))
	} else {
		s, err := store.LoadTenants(path)
		if err != nil {
			fail(err)
		}
		t := s.Find("bench-counter")
		if t == nil {
			fail(fmt.Errorf("no counter in %s", path))
		}
		got, _ = strconv.Atoi(t.Name)
	}
	if got != want {
		fmt.Printf("LOST %d of %d updates\n", want-got, want)
		os.Exit(1)
	}
	fmt.Printf("none lost: counter %d = %d updates\n", got, want)
}
