package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/frontdesk-bot/frontdesk/handlers"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
	"github.com/goccy/go-yaml"
)

// TestKubernetesManifests checks deploy/kubernetes against what Frontdesk
// relies on (no cluster here: this is a structural check, not kubectl's):
// two replicas, each named by its pod, readiness on the operations port,
// a disruption budget, and a Secret whose values pass Frontdesk's own
// configuration check.
func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("deploy", "kubernetes", "frontdesk.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	type container struct {
		Env []struct {
			Name      string
			Value     string
			ValueFrom struct {
				FieldRef struct {
					FieldPath string `yaml:"fieldPath"`
				} `yaml:"fieldRef"`
			} `yaml:"valueFrom"`
		}
		Ports []struct {
			Name          string
			ContainerPort int `yaml:"containerPort"`
		}
		ReadinessProbe struct {
			HTTPGet struct{ Path, Port string } `yaml:"httpGet"`
		} `yaml:"readinessProbe"`
		LivenessProbe struct {
			HTTPGet struct{ Path, Port string } `yaml:"httpGet"`
		} `yaml:"livenessProbe"`
	}
	type doc struct {
		Kind       string
		StringData map[string]string `yaml:"stringData"`
		Spec       struct {
			Replicas     int `yaml:"replicas"`
			MinAvailable int `yaml:"minAvailable"`
			Template     struct {
				Spec struct {
					Containers []container
				}
			}
			Ports []struct {
				TargetPort string `yaml:"targetPort"`
			}
		}
	}
	kinds := map[string]doc{}
	for _, part := range strings.Split(string(data), "\n---\n") {
		var d doc
		if err := yaml.Unmarshal([]byte(part), &d); err != nil {
			t.Fatalf("deploy/kubernetes/frontdesk.yaml: %v", err)
		}
		kinds[d.Kind] = d
	}
	for _, k := range []string{"Secret", "Deployment", "Service", "PodDisruptionBudget"} {
		if _, ok := kinds[k]; !ok {
			t.Errorf("no %s", k)
		}
	}
	dep := kinds["Deployment"]
	if dep.Spec.Replicas != 2 || len(dep.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("Deployment: %d replicas, %d containers; want 2 and 1", dep.Spec.Replicas, len(dep.Spec.Template.Spec.Containers))
	}
	c := dep.Spec.Template.Spec.Containers[0]
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports[c.ReadinessProbe.HTTPGet.Port] != 9090 || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness on %s (port %d) %s; want /readyz on the operations port 9090", c.ReadinessProbe.HTTPGet.Port, ports[c.ReadinessProbe.HTTPGet.Port], c.ReadinessProbe.HTTPGet.Path)
	}
	if ports[c.LivenessProbe.HTTPGet.Port] != 8080 || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness: %+v; want /healthz on 8080", c.LivenessProbe)
	}
	if svc := kinds["Service"]; len(svc.Spec.Ports) != 1 || ports[svc.Spec.Ports[0].TargetPort] != 8080 {
		t.Errorf("the Service must expose the webhook port only: %+v", svc.Spec.Ports)
	}
	if kinds["PodDisruptionBudget"].Spec.MinAvailable != 1 {
		t.Error("the PodDisruptionBudget must keep one replica")
	}
	// The configuration a pod gets passes Frontdesk's own check.
	env := map[string]string{}
	for k, v := range kinds["Secret"].StringData {
		env[k] = v
	}
	replicaFromPod := false
	for _, e := range c.Env {
		env[e.Name] = e.Value
		if e.Name == "REPLICA_ID" && e.ValueFrom.FieldRef.FieldPath == "metadata.name" {
			replicaFromPod, env[e.Name] = true, "frontdesk-7d9f8-abcde"
		}
	}
	if !replicaFromPod {
		t.Error("REPLICA_ID must be the pod's name")
	}
	// Its Secret's placeholders are refused, by name, until replaced.
	if _, err := loadConfig(func(k string) string { return env[k] }); err == nil ||
		!strings.Contains(err.Error(), "GREEN_API_TOKEN_INSTANCE: \"replace-with-") || !strings.Contains(err.Error(), "WEBHOOK_TOKEN: \"replace-with-") {
		t.Errorf("the Secret's placeholders are not refused by name: %v", err)
	}
	env["GREEN_API_TOKEN_INSTANCE"], env["WEBHOOK_TOKEN"] = "d75b3a66374942c5b3c019c698abc2067e151558acbd412345", "8f1c2e9a7b6d5f4e3c2b1a09f8e7d6c5b4a39281"
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Errorf("the manifests' configuration is refused: %v", err)
	}
	if !isPostgres(cfg.DatabaseURL) || cfg.AdminAddr != "0.0.0.0:9090" {
		t.Errorf("DATABASE_URL %q, ADMIN_ADDR %q; want PostgreSQL and 0.0.0.0:9090", cfg.DatabaseURL, cfg.AdminAddr)
	}
}

// TestComposeFile checks deploy/compose.yaml the same way: PostgreSQL, two
// replicas with ids of their own, and only the proxy published, routing
// the webhook and /healthz alone.
func TestComposeFile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("deploy", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image       string
			Build       string
			Hostname    string
			Ports       []string
			Environment map[string]string
		}
	}
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatalf("deploy/compose.yaml: %v", err)
	}
	replicas := map[string]bool{}
	for name, s := range compose.Services {
		switch {
		case strings.HasPrefix(name, "frontdesk-"):
			if s.Hostname == "" || replicas[s.Hostname] {
				t.Errorf("%s: hostname (its REPLICA_ID) %q is empty or shared", name, s.Hostname)
			}
			replicas[s.Hostname] = true
			if !strings.HasPrefix(s.Environment["DATABASE_URL"], "postgres://") || s.Environment["ADMIN_ADDR"] != "0.0.0.0:9090" {
				t.Errorf("%s: environment %v", name, s.Environment)
			}
			if len(s.Ports) != 0 {
				t.Errorf("%s publishes %v; only the proxy may", name, s.Ports)
			}
		case name == "proxy":
			if len(s.Ports) != 1 || s.Ports[0] != "80:80" {
				t.Errorf("proxy publishes %v; want 80:80", s.Ports)
			}
		case name == "postgres":
			if len(s.Ports) != 0 {
				t.Errorf("postgres publishes %v", s.Ports)
			}
		}
	}
	if len(replicas) != 2 {
		t.Errorf("%d replicas; want 2", len(replicas))
	}
	conf, err := os.ReadFile(filepath.Join("deploy", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"location = /webhook", "location = /healthz", "return 404", "server_tokens off", "frontdesk-1:8080", "frontdesk-2:8080"} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("deploy/nginx.conf lacks %q", want)
		}
	}
	if strings.Contains(string(conf), "9090") || strings.Contains(string(conf), "/metrics") {
		t.Error("deploy/nginx.conf exposes the operations port")
	}
}

// nginxLocation is one location block of an nginx server: its modifier
// ("=", "~", "~*", "^~" or "" for a prefix), its pattern, and whether it
// hands the request to Frontdesk (proxy_pass).
type nginxLocation struct {
	modifier, pattern string
	proxies           bool
}

// nginxLocations reads the location blocks of conf: a parse of the
// directives this example uses, not of nginx's whole grammar.
func nginxLocations(t *testing.T, conf string) []nginxLocation {
	t.Helper()
	var out []nginxLocation
	var open *nginxLocation
	depth := 0
	for _, line := range strings.Split(conf, "\n") {
		line = strings.TrimSpace(line)
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if rest, ok := strings.CutPrefix(line, "location "); ok && open == nil {
			fields := strings.Fields(strings.TrimSuffix(rest, "{"))
			loc := nginxLocation{}
			switch len(fields) {
			case 1:
				loc.pattern = fields[0]
			case 2:
				loc.modifier, loc.pattern = fields[0], fields[1]
			default:
				t.Fatalf("deploy/nginx.conf: cannot read %q", line)
			}
			open, depth = &loc, 1
			continue
		}
		if open == nil {
			continue
		}
		if strings.HasPrefix(line, "proxy_pass ") {
			open.proxies = true
		}
		depth += strings.Count(line, "{") - strings.Count(line, "}")
		if depth == 0 {
			out = append(out, *open)
			open = nil
		}
	}
	return out
}

// nginxMatch picks the location nginx gives path: an exact match; else
// the longest prefix, unless a regular expression matches first (in
// order) and the prefix is not ^~.
func nginxMatch(t *testing.T, locs []nginxLocation, path string) *nginxLocation {
	t.Helper()
	var prefix *nginxLocation
	for i, l := range locs {
		switch l.modifier {
		case "=":
			if l.pattern == path {
				return &locs[i]
			}
		case "", "^~":
			if strings.HasPrefix(path, l.pattern) && (prefix == nil || len(l.pattern) > len(prefix.pattern)) {
				prefix = &locs[i]
			}
		}
	}
	if prefix != nil && prefix.modifier == "^~" {
		return prefix
	}
	for i, l := range locs {
		if l.modifier != "~" && l.modifier != "~*" {
			continue
		}
		pattern := l.pattern
		if l.modifier == "~*" {
			pattern = "(?i)" + pattern
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			t.Fatalf("deploy/nginx.conf: location %s: %v", l.pattern, err)
		}
		if re.MatchString(path) {
			return &locs[i]
		}
	}
	return prefix
}

// TestTheExampleProxyPassesEveryPublicRoute is issue #24's item 15: the
// example proxy matched only /webhook, so the per-number webhook that the
// README recommends got 404 and Green API resent for ever. Every route of
// the public listener, with a number's id for a parameter, reaches
// Frontdesk through deploy/nginx.conf; other paths do not.
func TestTheExampleProxyPassesEveryPublicRoute(t *testing.T) {
	conf, err := os.ReadFile(filepath.Join("deploy", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	locs := nginxLocations(t, string(conf))
	routes := handlers.Public(handlers.Deps{Log: logtest.Logger()}).Routes()
	if len(routes) < 3 {
		t.Fatalf("the public listener serves %d routes", len(routes))
	}
	for _, r := range routes {
		path := strings.ReplaceAll(r.Path, ":instance", "1101000001")
		if strings.Contains(path, ":") || strings.Contains(path, "*") {
			t.Fatalf("route %s %s has a parameter this test cannot fill", r.Method, r.Path)
		}
		if loc := nginxMatch(t, locs, path); loc == nil || !loc.proxies {
			t.Errorf("%s %s (as %s) does not pass through deploy/nginx.conf", r.Method, r.Path, path)
		}
	}
	for _, path := range []string{"/metrics", "/readyz", "/", "/webhook/1101000001/x", "/webhookx"} {
		if loc := nginxMatch(t, locs, path); loc != nil && loc.proxies {
			t.Errorf("%s passes through deploy/nginx.conf; only the public routes may", path)
		}
	}
}
