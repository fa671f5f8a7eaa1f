package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// reloadEvery is how often the configuration files are looked at for a
// change: a stat of each, no read unless one changed.
const reloadEvery = 2 * time.Second

// watchConfig reloads the configuration on SIGHUP (hup) and when one of its
// files changes: the instances file, and the rules files and locale
// directories the instances name. A configuration that does not load, or
// whose new credentials Green API refuses, is not applied: the running one
// stays, and the error is logged.
func watchConfig(ctx context.Context, hup <-chan os.Signal, cfg config, getenv func(string) string, r *runner, log *slog.Logger) {
	t := time.NewTicker(reloadEvery)
	defer t.Stop()
	instances := cfg.Instances
	last := fingerprint(cfg.InstancesFile, instances)
	for {
		var why string
		select {
		case <-ctx.Done():
			return
		case <-hup:
			why = "SIGHUP"
		case <-t.C:
			if fp := fingerprint(cfg.InstancesFile, instances); fp != last {
				why = "a file changed"
			}
		}
		if why == "" {
			continue
		}
		tried, ch, err := reload(ctx, cfg, getenv, r)
		if err != nil {
			log.Error("configuration not reloaded: the running one stays", "why", why, "err", err)
		} else {
			log.Info("configuration reloaded", "why", why, "added", ch.Added, "kept", ch.Kept, "replaced", ch.Replaced, "removed", ch.Removed)
		}
		// The files of the configuration tried are watched from now on: a
		// broken one is reported once, and its fix is seen.
		if tried != nil {
			instances = tried
		}
		last = fingerprint(cfg.InstancesFile, instances)
	}
}

// reload reads the configuration's files again and applies them. It
// returns the instances it tried, unless the instances file did not read.
func reload(ctx context.Context, cfg config, getenv func(string) string, r *runner) ([]instanceConfig, changes, error) {
	instances := cfg.Instances
	if cfg.InstancesFile != "" {
		var err error
		if instances, err = readInstances(cfg.InstancesFile, cfg.defaults, getenv); err != nil {
			return nil, changes{}, err
		}
		for _, ic := range instances {
			if p := cfg.retentionProblem(ic); p != "" {
				return instances, changes{}, fmt.Errorf("KEEP_CONTACTS: %s", p)
			}
		}
	}
	ls, err := loadInstances(instances)
	if err != nil {
		return instances, changes{}, err
	}
	ch, err := r.apply(ctx, ls)
	return instances, ch, err
}

// fingerprint is the size and time of change of every file the
// configuration is read from; a different fingerprint means a change.
func fingerprint(instancesFile string, instances []instanceConfig) string {
	var paths []string
	if instancesFile != "" {
		paths = append(paths, instancesFile)
	}
	for _, ic := range instances {
		if ic.RulesFile != "" {
			paths = append(paths, ic.RulesFile)
		}
		if ic.LocalesDir != "" {
			paths = append(paths, ic.LocalesDir)
			files, _ := filepath.Glob(filepath.Join(ic.LocalesDir, "*.toml"))
			paths = append(paths, files...)
		}
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	var b strings.Builder
	for _, p := range paths {
		b.WriteString(statLine(p))
		b.WriteByte('\n')
	}
	return b.String()
}

// statLine is a file's path, size and time of change, or its stat error.
func statLine(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return path + " " + err.Error()
	}
	return fmt.Sprintf("%s %d %d", path, fi.Size(), fi.ModTime().UnixNano())
}
