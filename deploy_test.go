package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

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
