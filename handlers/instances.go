package handlers

import (
	"crypto/sha256"
	"slices"
	"strings"
	"sync/atomic"
)

// Instances is the set of Green API instances served, as the webhook and
// the probes see it: each with its state and the webhook tokens that open
// its webhook. A reload replaces the set at once (Set); readers never wait.
type Instances struct {
	now atomic.Pointer[directory]
}

type directory struct {
	byID    map[string]*Instance
	byToken map[[sha256.Size]byte]*Instance
	sorted  []*Instance
}

// InstanceEntry is one instance served and the tokens its webhook accepts
// (none: it is polled, its webhook refuses everything).
type InstanceEntry struct {
	Instance *Instance
	Tokens   []string
}

// NewInstances returns a set of no instance.
func NewInstances() *Instances {
	s := &Instances{}
	s.Set(nil)
	return s
}

// Set replaces the instances served. Tokens are told apart by their
// SHA-256: a lookup takes the same time whatever the token given, and a
// token that two instances share opens neither (the configuration refuses
// it before).
func (s *Instances) Set(entries []InstanceEntry) {
	d := &directory{byID: make(map[string]*Instance, len(entries)), byToken: make(map[[sha256.Size]byte]*Instance)}
	shared := make(map[[sha256.Size]byte]bool)
	for _, e := range entries {
		d.byID[e.Instance.ID] = e.Instance
		d.sorted = append(d.sorted, e.Instance)
		for _, t := range e.Tokens {
			if t == "" {
				continue
			}
			h := sha256.Sum256([]byte(t))
			if other, ok := d.byToken[h]; ok && other != e.Instance {
				shared[h] = true
			}
			d.byToken[h] = e.Instance
		}
	}
	for h := range shared {
		delete(d.byToken, h)
	}
	slices.SortFunc(d.sorted, func(a, b *Instance) int { return strings.Compare(a.ID, b.ID) })
	s.now.Store(d)
}

// Get returns the instance with id, or nil.
func (s *Instances) Get(id string) *Instance { return s.now.Load().byID[id] }

// All returns the instances served, by id.
func (s *Instances) All() []*Instance { return s.now.Load().sorted }

// byToken returns the instance whose webhook token is token, or nil.
func (s *Instances) byToken(token string) *Instance {
	if token == "" {
		return nil
	}
	return s.now.Load().byToken[sha256.Sum256([]byte(token))]
}
