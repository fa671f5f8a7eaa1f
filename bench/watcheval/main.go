// Command watcheval measures the two ways Frontdesk could notice that its
// configuration files changed (DESIGN.md): looking at them every 2 s (a
// stat of each, what reload.go does) and inotify through
// github.com/fsnotify/fsnotify. Run it from this directory: go run .
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

func main() {
	dir, err := os.MkdirTemp("", "watcheval")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	// The cost of one look at 1,001 files: an instances file and 1,000
	// rules files (the worst case: every number with a file of its own).
	var paths []string
	for i := range 1001 {
		p := filepath.Join(dir, fmt.Sprintf("rules-%04d.toml", i))
		must(os.WriteFile(p, []byte("[[rule]]\nid = \"x\"\nreply = \"\"\n"), 0o600))
		paths = append(paths, p)
	}
	const looks = 200
	start := time.Now()
	for range looks {
		for _, p := range paths {
			if _, err := os.Stat(p); err != nil {
				panic(err)
			}
		}
	}
	per := time.Since(start) / looks
	fmt.Printf("polling: one look at %d files takes %v; every 2 s that is %.3f%% of a core; a change is seen within 2 s (1 s on average)\n",
		len(paths), per, 100*per.Seconds()/2)

	// fsnotify: the file replaced by a rename (editors, our tests), written
	// in place, and a Kubernetes ConfigMap update (a symlink swap).
	file := filepath.Join(dir, "instances.toml")
	must(os.WriteFile(file, []byte("a"), 0o600))
	for _, tc := range []struct {
		name   string
		watch  string
		change func()
	}{
		{"write in place, watching the file", file, func() { must(os.WriteFile(file, []byte("b"), 0o600)) }},
		{"replace by rename, watching the file", file, func() { replace(file, "c") }},
		{"replace by rename, watching the directory", dir, func() { replace(file, "d") }},
	} {
		fmt.Printf("fsnotify, %s: %s\n", tc.name, latency(tc.watch, tc.change))
	}
	// A ConfigMap volume: file -> ..data/file, ..data -> ..<timestamp>; an
	// update makes a new timestamped directory and renames a new ..data
	// symlink over the old one.
	cm := filepath.Join(dir, "configmap")
	must(os.MkdirAll(filepath.Join(cm, "..v1"), 0o700))
	must(os.WriteFile(filepath.Join(cm, "..v1", "instances.toml"), []byte("v1"), 0o600))
	must(os.Symlink("..v1", filepath.Join(cm, "..data")))
	must(os.Symlink(filepath.Join("..data", "instances.toml"), filepath.Join(cm, "instances.toml")))
	update := func(v string) func() {
		return func() {
			must(os.MkdirAll(filepath.Join(cm, v), 0o700))
			must(os.WriteFile(filepath.Join(cm, v, "instances.toml"), []byte(v), 0o600))
			must(os.Symlink(v, filepath.Join(cm, "..data_tmp")))
			must(os.Rename(filepath.Join(cm, "..data_tmp"), filepath.Join(cm, "..data")))
		}
	}
	fmt.Printf("fsnotify, a ConfigMap update, watching the file: %s\n", latency(filepath.Join(cm, "instances.toml"), update("..v2")))
	fmt.Printf("fsnotify, a ConfigMap update, watching the directory: %s\n", latency(cm, update("..v3")))
	before, _ := os.Stat(filepath.Join(cm, "instances.toml"))
	update("..v4")()
	after, _ := os.Stat(filepath.Join(cm, "instances.toml"))
	fmt.Printf("polling, a ConfigMap update: the stat of the path changes: %v\n", !os.SameFile(before, after) || before.ModTime() != after.ModTime())
}

// latency watches path, makes the change, and says how long until the
// first event, or that none came within a second.
func latency(path string, change func()) string {
	w, err := fsnotify.NewWatcher()
	must(err)
	defer w.Close()
	must(w.Add(path))
	start := time.Now()
	change()
	select {
	case ev := <-w.Events:
		return fmt.Sprintf("first event after %v (%s)", time.Since(start).Round(time.Microsecond), ev.Op)
	case err := <-w.Errors:
		return "error: " + err.Error()
	case <-time.After(time.Second):
		return "no event within 1 s"
	}
}

func replace(path, content string) {
	must(os.WriteFile(path+".tmp", []byte(content), 0o600))
	must(os.Rename(path+".tmp", path))
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
