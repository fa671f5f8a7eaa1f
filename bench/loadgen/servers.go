package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
)

// ceilingEnv, when set, makes the load tool serve as the ceiling: a bare gin
// handler that reads each webhook and answers 200.
const ceilingEnv = "LOADGEN_CEILING"

// serveCeiling runs the bare gin server and prints its address.
func serveCeiling() error {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/webhook", func(c *gin.Context) {
		_, _ = io.Copy(io.Discard, c.Request.Body)
		c.Status(http.StatusOK)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	return http.Serve(ln, r)
}

// process is a server the load tool started: Frontdesk or the ceiling.
type process struct {
	cmd     *exec.Cmd
	url     string
	admin   string // Frontdesk's operations listener (/readyz, /metrics)
	logs    string // file with what it wrote to stderr
	cleanup func() // after it stopped; may be nil
}

// startCeiling starts the load tool itself as the ceiling server.
func startCeiling(dir string) (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), ceilingEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, logs: filepath.Join(dir, "ceiling.log")}
	if cmd.Stderr, err = os.Create(p.logs); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("the ceiling server did not start: %w", err)
	}
	p.url = "http://" + strings.TrimSpace(addr)
	return p, nil
}

// frontdeskOptions are what differs between the Frontdesk servers of a run.
type frontdeskOptions struct {
	name          string
	lookupTimeout time.Duration
	env           []string
	postgres      string // a server URL: a new schema there instead of a SQLite file
	database      string // with postgres: this schema's URL instead of a new one (another replica)
}

// startFrontdesk runs the Frontdesk binary on a fresh SQLite file (or a
// fresh PostgreSQL schema) against the fake Green API and waits until it
// is ready.
func startFrontdesk(binary, dir string, fake *greenapitest.Server, o frontdeskOptions) (*process, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	adminPort, err := freePort()
	if err != nil {
		return nil, "", err
	}
	db := filepath.Join(dir, o.name+".db")
	var dropSchema func()
	if o.postgres != "" && o.database != "" {
		db = o.database
	} else if o.postgres != "" {
		if db, dropSchema, err = postgrestest.NewSchema(context.Background(), o.postgres, "loadgen_"+o.name); err != nil {
			return nil, "", fmt.Errorf("-postgres: %w", err)
		}
	}
	cmd := exec.Command(binary)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"GREEN_API_URL=" + fake.URL,
		"GREEN_API_ID_INSTANCE=" + fake.IDInstance,
		"GREEN_API_TOKEN_INSTANCE=" + fake.Token,
		"WEBHOOK_TOKEN=" + webhookToken,
		"OPERATOR_CHAT_ID=" + operatorChat,
		"DATABASE_URL=" + db,
		"PORT=" + strconv.Itoa(port),
		"ADMIN_ADDR=127.0.0.1:" + strconv.Itoa(adminPort),
		"LOG_LEVEL=warn",
		"LOOKUP_TIMEOUT=" + o.lookupTimeout.String(),
		"SHUTDOWN_TIMEOUT=2s",
	}
	cmd.Env = append(cmd.Env, o.env...)
	p := &process{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port), admin: fmt.Sprintf("http://127.0.0.1:%d", adminPort), logs: filepath.Join(dir, o.name+".log"), cleanup: dropSchema}
	if cmd.Stderr, err = os.Create(p.logs); err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(p.admin + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, db, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			logs, _ := os.ReadFile(p.logs)
			return nil, "", fmt.Errorf("frontdesk did not become ready: %s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the process with SIGTERM and waits for it.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	if p.cleanup != nil {
		p.cleanup()
	}
}

// memory returns the process's resident set now and its peak, in bytes,
// from /proc (Linux).
func (p *process) memory() (rss, peak int64, err error) {
	m, err := p.status("VmRSS", "VmHWM")
	return m["VmRSS"], m["VmHWM"], err
}

// status reads fields given in kB from /proc/<pid>/status, in bytes.
func (p *process) status(fields ...string) (map[string]int64, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(fields))
	for line := range strings.Lines(string(status)) {
		field, value, ok := strings.Cut(line, ":")
		if !ok || !slices.Contains(fields, field) {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		out[field] = kb << 10
	}
	return out, nil
}

// inboxDepth reads frontdesk_inbox_depth from /metrics.
func (p *process) inboxDepth(ctx context.Context) (int, error) {
	v, err := p.metric(ctx, "frontdesk_inbox_depth")
	return int(v), err
}

// metricsClient reads /metrics uncompressed: sampled four times a second,
// gzip would cost the server more than a Prometheus scrape every 15 s does.
var metricsClient = &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}

// metric reads one unlabelled metric from /metrics.
func (p *process) metric(ctx context.Context, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.admin+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := metricsClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(body) {
		if v, ok := bytes.CutPrefix(line, []byte(name+" ")); ok {
			return strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
		}
	}
	return 0, fmt.Errorf("no %s in /metrics", name)
}

// warnings counts the lines the server logged at warn level or above.
func (p *process) warnings() int {
	data, _ := os.ReadFile(p.logs)
	return bytes.Count(data, []byte("\n"))
}

// buildFrontdesk builds the service's binary into dir.
func buildFrontdesk(dir string) (string, error) {
	bin := filepath.Join(dir, "frontdesk")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/frontdesk-bot/frontdesk")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
