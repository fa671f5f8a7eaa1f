package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
)

// replicasPhase measures durable acknowledgements with 1 to c.replicas
// Frontdesk replicas on one PostgreSQL database, the webhooks spread
// round-robin over them as a load balancer would, each against the bare-gin
// ceiling fed by the same client in the same run.
func replicasPhase(ctx context.Context, c config, dir string, t *templates, fake *greenapitest.Server) error {
	if c.postgres == "" {
		return errors.New("-replicas needs -postgres: replicas share one PostgreSQL database")
	}
	ceiling, err := startCeiling(dir)
	if err != nil {
		return err
	}
	defer ceiling.stop()
	ceilingPost := newPoster(ceiling.url, c.conc)
	fmt.Printf("replicas: %d notifications by %d connections spread round-robin over the replicas, one PostgreSQL database, %d runs each\n", c.n, c.conc, c.repeat)
	for n := 1; n <= c.replicas; n++ {
		var replicas []*process
		stopAll := func() {
			for i := len(replicas) - 1; i >= 0; i-- { // the first drops the schema: last
				replicas[i].stop()
			}
		}
		db := ""
		for k := range n {
			o := frontdeskOptions{name: fmt.Sprintf("replicas%d_r%d", n, k+1), lookupTimeout: 30 * time.Second,
				env: append(append([]string{}, c.env...), fmt.Sprintf("REPLICA_ID=loadgen-%d-%d", n, k+1)), postgres: c.postgres, database: db}
			p, pdb, err := startFrontdesk(c.binary, dir, fake, o)
			if err != nil {
				stopAll()
				return err
			}
			replicas, db = append(replicas, p), pdb
		}
		known := make([]string, c.known)
		warm := make([]request, c.known)
		for i := range known {
			known[i] = fmt.Sprintf("4915200%06d@c.us", i)
			warm[i] = t.businessWrote(known[i])
		}
		if r := spread(ctx, replicas, warm, c.conc); r.failed > 0 {
			stopAll()
			return fmt.Errorf("replicas warm-up: %d failed: %v", r.failed, r.firstErr)
		}
		var ratios, rates []float64
		for range c.repeat {
			cr := ceilingPost.closedLoop(ctx, knownLoad(t, known, c.n), c.conc)
			fr := spread(ctx, replicas, knownLoad(t, known, c.n), c.conc)
			if cr.failed > 0 || fr.failed > 0 {
				stopAll()
				return fmt.Errorf("replicas run: ceiling %d failed (%v), frontdesk %d failed (%v)", cr.failed, cr.firstErr, fr.failed, fr.firstErr)
			}
			for _, p := range replicas {
				if err := waitDrained(ctx, p, 5*time.Minute); err != nil {
					stopAll()
					return err
				}
			}
			ratios, rates = append(ratios, fr.throughput()/cr.throughput()), append(rates, fr.throughput())
		}
		stopAll()
		fmt.Printf("  %d replica(s): %6.0f acknowledgements/s, %.0f%% of the ceiling (median of %d; runs %s)\n", n, median(rates), 100*median(ratios), c.repeat, percents(ratios))
	}
	return nil
}

// spread posts reqs over the replicas round-robin, conc connections in all,
// and reports them as one firing.
func spread(ctx context.Context, replicas []*process, reqs []request, conc int) result {
	parts := make([][]request, len(replicas))
	for i, r := range reqs {
		parts[i%len(replicas)] = append(parts[i%len(replicas)], r)
	}
	results := make([]result, len(replicas))
	var wg sync.WaitGroup
	start := time.Now()
	for i, p := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := max(1, conc/len(replicas))
			results[i] = newPoster(p.url, c).closedLoop(ctx, parts[i], c)
		}()
	}
	wg.Wait()
	all := result{elapsed: time.Since(start)}
	for _, r := range results {
		all.sent += r.sent
		all.failed += r.failed
		if all.firstErr == nil {
			all.firstErr = r.firstErr
		}
	}
	return all
}

func percents(ratios []float64) string {
	s := ""
	for i, r := range ratios {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%.0f%%", 100*r)
	}
	return s
}
