package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// templates are shared examples of Green API's documentation, from
// greenapi/testdata, that the load is made of, for one instance.
type templates struct {
	text, image, status, outgoing map[string]any
	instance                      int64  // the idInstance every notification carries
	token                         string // the webhook token it is posted with
}

// of returns the templates of another instance, posted with token.
func (t *templates) of(instance int64, token string) *templates {
	c := *t
	c.instance, c.token = instance, token
	return &c
}

func loadTemplates(dir string) (*templates, error) {
	read := func(name string) (map[string]any, error) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("%w (run the load tool from the repository's root, or set -testdata)", err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return m, nil
	}
	t := templates{instance: defaultInstance, token: webhookToken}
	var err error
	for name, dst := range map[string]*map[string]any{
		"current_incomingMessageReceived_textMessage.json": &t.text,
		"2023_incomingMessageReceived_imageMessage.json":   &t.image,
		"current_outgoingMessageStatus.json":               &t.status,
		"current_outgoingMessageReceived_textMessage.json": &t.outgoing,
	} {
		if *dst, err = read(name); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

// request is one webhook body to post, and for whom.
type request struct {
	chat  string
	new   bool // the first message of a new sender
	body  []byte
	token string // the webhook token of the body's instance
}

// seq makes message ids unique across the run.
var seq atomic.Int64

func (t *templates) make(tmpl map[string]any, chat, name, text string) []byte {
	m := clone(tmpl)
	id := fmt.Sprintf("LOADGEN%016X", seq.Add(1))
	m["idMessage"] = id
	m["timestamp"] = time.Now().Unix()
	if inst, ok := m["instanceData"].(map[string]any); ok {
		inst["idInstance"] = t.instance
	}
	if sd, ok := m["senderData"].(map[string]any); ok {
		sd["chatId"] = chat
		if m["typeWebhook"] == "incomingMessageReceived" {
			sd["sender"] = chat
			sd["senderName"] = name
			sd["senderContactName"] = name
		}
	} else {
		m["chatId"] = chat
	}
	if md, ok := m["messageData"].(map[string]any); ok && text != "" {
		if td, ok := md["textMessageData"].(map[string]any); ok {
			td["textMessage"] = text
		}
	}
	body, err := json.Marshal(m)
	if err != nil {
		panic(err) // a map of JSON values always marshals
	}
	return body
}

// newSender is a new sender's first message.
func (t *templates) newSender(chat string) request {
	return request{chat: chat, new: true, token: t.token, body: t.make(t.text, chat, "Loadgen "+chat[len(chat)-9:len(chat)-5], "Hello, do you deliver?")}
}

// known is traffic from a known chat: seven in ten text messages, one in
// ten a photo, two in ten delivery statuses of our own messages.
func (t *templates) known(chat string) request {
	switch r := rand.IntN(10); {
	case r < 7:
		return request{chat: chat, token: t.token, body: t.make(t.text, chat, "Known", "And one more question")}
	case r < 8:
		return request{chat: chat, token: t.token, body: t.make(t.image, chat, "Known", "")}
	default:
		return request{chat: chat, token: t.token, body: t.make(t.status, chat, "", "")}
	}
}

// businessWrote is the business writing to chat from its phone: afterwards
// the chat is known.
func (t *templates) businessWrote(chat string) request {
	return request{chat: chat, token: t.token, body: t.make(t.outgoing, chat, "", "Hello from the shop")}
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = clone(sub)
		}
		out[k] = v
	}
	return out
}

// poster posts webhooks the way Green API does.
type poster struct {
	client *http.Client
	url    string
}

func newPoster(url string, conns int) *poster {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute}
	return &poster{client: &http.Client{Transport: tr, Timeout: 30 * time.Second}, url: url + "/webhook"}
}

func (p *poster) post(ctx context.Context, r request) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(r.body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}

// result is what one firing of requests measured.
type result struct {
	sent     int
	failed   int
	firstErr error
	elapsed  time.Duration
	latency  []time.Duration // per acknowledged request
	postedAt map[string]time.Time
}

func (r result) throughput() float64 { return float64(r.sent-r.failed) / r.elapsed.Seconds() }

// closedLoop posts reqs from conc workers as fast as they are answered.
func (p *poster) closedLoop(ctx context.Context, reqs []request, conc int) result {
	var (
		next    atomic.Int64
		mu      sync.Mutex
		res     = result{sent: len(reqs), postedAt: map[string]time.Time{}}
		workers sync.WaitGroup
	)
	start := time.Now()
	for range conc {
		workers.Add(1)
		go func() {
			defer workers.Done()
			var lat []time.Duration
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) {
					break
				}
				t0 := time.Now()
				err := p.post(ctx, reqs[i])
				d := time.Since(t0)
				mu.Lock()
				res.record(reqs[i], t0, d, err)
				mu.Unlock()
				if err == nil {
					lat = append(lat, d)
				}
			}
			mu.Lock()
			res.latency = append(res.latency, lat...)
			mu.Unlock()
		}()
	}
	workers.Wait()
	res.elapsed = time.Since(start)
	return res
}

// openLoop posts reqs at a fixed rate, whatever the answers' pace. Latency
// runs from the moment a request was due, so a stalled server is charged
// for the requests it held back (no coordinated omission).
func (p *poster) openLoop(ctx context.Context, reqs []request, perSecond float64) result {
	var (
		mu     sync.Mutex
		res    = result{sent: len(reqs), postedAt: map[string]time.Time{}}
		flight sync.WaitGroup
	)
	interval := time.Duration(float64(time.Second) / perSecond)
	start := time.Now()
	for i, r := range reqs {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		flight.Add(1)
		go func() {
			defer flight.Done()
			err := p.post(ctx, r)
			d := time.Since(due)
			mu.Lock()
			defer mu.Unlock()
			res.record(r, due, d, err)
			if err == nil {
				res.latency = append(res.latency, d)
			}
		}()
	}
	flight.Wait()
	res.elapsed = time.Since(start)
	return res
}

func (r *result) record(req request, at time.Time, _ time.Duration, err error) {
	if err != nil {
		r.failed++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	if req.new {
		r.postedAt[req.chat] = at
	}
}
