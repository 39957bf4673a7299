// Package store reads and writes the client's files in the reference
// client's formats: credentials.json, tenants.json and the CLI session store.
//
// Every write goes through one mechanism (Update): a lock file beside the
// target held across read-modify-write, so concurrent processes serialise and
// none loses another's change; a temporary file in the same folder, fsync,
// rename over the target and fsync of the folder, so a reader or a crash
// never sees half a file; files 0600, folders 0700, and a ".gitignore"
// holding "*" in each folder written to (only when absent).
package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spcloud/spcloud"
)

// File and folder modes of everything the store writes.
const (
	FileMode os.FileMode = 0o600
	DirMode  os.FileMode = 0o700
)

// LockTimeout bounds the wait for another process's lock.
var LockTimeout = 30 * time.Second

// EnsureDir creates dir (0700) when missing and writes a ".gitignore"
// holding "*" into it when that file is absent.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return spcloud.E(spcloud.ErrFileSystem, dir, err)
	}
	gi := filepath.Join(dir, ".gitignore")
	if _, err := os.Lstat(gi); errors.Is(err, fs.ErrNotExist) {
		// O_EXCL: a .gitignore someone writes meanwhile is theirs to keep.
		f, err := os.OpenFile(gi, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
		if err == nil {
			_, werr := f.WriteString("*\n")
			cerr := f.Close()
			if werr != nil || cerr != nil {
				return spcloud.E(spcloud.ErrFileSystem, gi, errors.Join(werr, cerr))
			}
		} else if !errors.Is(err, fs.ErrExist) {
			return spcloud.E(spcloud.ErrFileSystem, gi, err)
		}
	}
	return nil
}

// Update runs a locked read-modify-write of path: it takes the lock, reads
// the current content (nil when the file does not exist), calls change, and
// writes what change returns atomically. When change returns nil bytes and a
// nil error, nothing is written.
func Update(path string, change func(current []byte) ([]byte, error)) error {
	dir := filepath.Dir(path)
	if err := EnsureDir(dir); err != nil {
		return err
	}
	unlock, err := lockFile(path+".lock", LockTimeout)
	if err != nil {
		return spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	defer unlock()
	removeStaleTemps(path)
	current, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	next, err := change(current)
	if err != nil || next == nil {
		return err
	}
	return writeAtomic(path, next)
}

// removeStaleTemps deletes temporary files a killed writer left beside
// path. Writers create them only while holding the lock, so with the lock
// held, any that exist are orphans.
func removeStaleTemps(path string) {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*"))
	for _, m := range matches {
		os.Remove(m)
	}
}

// WriteFile replaces path with data under the lock, atomically.
func WriteFile(path string, data []byte) error {
	return Update(path, func([]byte) ([]byte, error) { return data, nil })
}

// writeAtomic writes data to a temporary file in path's folder, syncs it,
// renames it over path and syncs the folder. The caller holds the lock.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(FileMode); err != nil {
		return spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	if err := tmp.Sync(); err != nil {
		return spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	if err := tmp.Close(); err != nil {
		return spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	ok = true
	syncDir(dir)
	return nil
}

// SetAside renames a broken file to "<name>.corrupt-<timestamp>" so that a
// fresh one can be written without losing the old content. It returns the
// new path. The kept file is made 0600 like every other: it may still hold
// a token.
func SetAside(path string) (string, error) {
	aside := fmt.Sprintf("%s.corrupt-%s", path, time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.Rename(path, aside); err != nil {
		return "", spcloud.E(spcloud.ErrFileSystem, path, err)
	}
	if err := os.Chmod(aside, FileMode); err != nil {
		return aside, spcloud.E(spcloud.ErrFileSystem, aside, err)
	}
	return aside, nil
}
