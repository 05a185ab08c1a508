package deploy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventproc/eventproc/deploy"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	p, err := deploy.LoadCompose(t.Context(), "..")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("docker-compose.yml has no service %q", name)
	}
	return s
}

// pinnedImage matches an image reference with an explicit tag other than latest.
var pinnedImage = regexp.MustCompile(`^[a-z0-9./-]+:[A-Za-z0-9._-]+$`)

func TestComposeServices(t *testing.T) {
	p := loadCompose(t)
	var names []string
	for name := range p.Services {
		names = append(names, name)
	}
	for _, want := range []string{"kafka", "topic-init", "eventproc", "producer", "ingest", "prometheus", "grafana"} {
		if !slices.Contains(names, want) {
			t.Errorf("service %q missing (have %v)", want, names)
		}
	}
	for name, s := range p.Services {
		if s.Image == "" {
			t.Errorf("%s: no image", name)
			continue
		}
		if s.Build == nil && (!pinnedImage.MatchString(s.Image) || strings.HasSuffix(s.Image, ":latest")) {
			t.Errorf("%s: image %q is not pinned to a version tag", name, s.Image)
		}
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s: port %d published on %q, want 127.0.0.1 only", name, port.Target, port.HostIP)
			}
		}
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s: bind mount source %s: %v", name, v.Source, err)
				}
				if !v.ReadOnly {
					t.Errorf("%s: bind mount %s is writable", name, v.Target)
				}
			}
		}
	}
}

func publishes(s types.ServiceConfig, target uint32, published string) bool {
	for _, p := range s.Ports {
		if p.Target == target && p.Published == published {
			return true
		}
	}
	return false
}

func TestComposeEventprocService(t *testing.T) {
	p := loadCompose(t)
	ep := service(t, p, "eventproc")
	if ep.Build == nil || ep.Build.Dockerfile != "Dockerfile" {
		t.Errorf("eventproc is not built from the Dockerfile: %+v", ep.Build)
	}
	if len(ep.Command) == 0 || ep.Command[0] != "run" {
		t.Errorf("eventproc command %v, want run …", ep.Command)
	}
	if dep, ok := ep.DependsOn["topic-init"]; !ok || dep.Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("eventproc must wait for topic-init to complete: %+v", ep.DependsOn)
	}
	env := map[string]string{}
	for k, v := range ep.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	for _, k := range []string{"EVENTPROC_INPUT_TOPIC", "EVENTPROC_OUTPUT_TOPIC", "EVENTPROC_DLQ_TOPIC", "EVENTPROC_METRICS_ADDR", "EVENTPROC_SHUTDOWN_TIMEOUT"} {
		if env[k] == "" {
			t.Errorf("eventproc environment lacks %s", k)
		}
	}
	if env["EVENTPROC_METRICS_ADDR"] != ":9464" || !publishes(ep, 9464, "9464") {
		t.Errorf("metrics: EVENTPROC_METRICS_ADDR %q, ports %+v; want :9464 published on 127.0.0.1:9464", env["EVENTPROC_METRICS_ADDR"], ep.Ports)
	}
	shutdown, err := time.ParseDuration(env["EVENTPROC_SHUTDOWN_TIMEOUT"])
	if err != nil {
		t.Fatalf("EVENTPROC_SHUTDOWN_TIMEOUT: %v", err)
	}
	if ep.StopGracePeriod == nil || time.Duration(*ep.StopGracePeriod) <= shutdown {
		t.Errorf("stop_grace_period %v must exceed --shutdown-timeout %s, or Docker kills a clean shutdown", ep.StopGracePeriod, shutdown)
	}
	if !publishes(service(t, p, "kafka"), 29092, "29092") {
		t.Error("kafka does not publish its host listener on 127.0.0.1:29092")
	}
	if !publishes(service(t, p, "prometheus"), 9090, "9090") || !publishes(service(t, p, "grafana"), 3000, "3000") {
		t.Error("prometheus must publish 9090 and grafana 3000")
	}
	prod := service(t, p, "producer")
	if len(prod.Command) == 0 || prod.Command[0] != "produce" {
		t.Errorf("producer command %v, want produce …", prod.Command)
	}
}

// The Prometheus configuration mounted by compose scrapes eventproc's
// metrics port.
func TestPrometheusScrapesEventproc(t *testing.T) {
	p := loadCompose(t)
	prom := service(t, p, "prometheus")
	var mounted string
	for _, v := range prom.Volumes {
		if v.Target == "/etc/prometheus/prometheus.yml" {
			mounted = v.Source
		}
	}
	if mounted == "" {
		t.Fatal("prometheus.yml is not mounted at /etc/prometheus/prometheus.yml")
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			MetricsPath   string `yaml:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	readYAML(t, mounted, &cfg)
	found := false
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			if sc.JobName == "eventproc" && slices.Contains(st.Targets, "eventproc:9464") && (sc.MetricsPath == "" || sc.MetricsPath == "/metrics") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("%s has no eventproc job scraping eventproc:9464/metrics", mounted)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Grafana: the provisioning mounted by compose names the Prometheus
// service with the uid every dashboard panel uses, and loads dashboards
// from where compose mounts the eventproc dashboard.
func TestGrafanaProvisioning(t *testing.T) {
	p := loadCompose(t)
	g := service(t, p, "grafana")
	mounts := map[string]string{}
	for _, v := range g.Volumes {
		mounts[v.Target] = v.Source
	}
	prov := mounts["/etc/grafana/provisioning"]
	dashPath := mounts["/var/lib/grafana/dashboards/eventproc-dashboard.json"]
	if prov == "" || dashPath == "" {
		t.Fatalf("grafana mounts %v: want provisioning and the dashboard", mounts)
	}

	var ds struct {
		Datasources []struct {
			UID, Type, URL string
		} `yaml:"datasources"`
	}
	readYAML(t, filepath.Join(prov, "datasources", "prometheus.yml"), &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Fatalf("datasources %+v: want one prometheus at http://prometheus:9090", ds.Datasources)
	}
	var providers struct {
		Providers []struct {
			Type    string
			Options struct{ Path string } `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, filepath.Join(prov, "dashboards", "eventproc.yml"), &providers)
	if len(providers.Providers) != 1 || providers.Providers[0].Options.Path != filepath.Dir("/var/lib/grafana/dashboards/eventproc-dashboard.json") {
		t.Errorf("dashboard providers %+v do not load /var/lib/grafana/dashboards", providers.Providers)
	}

	dash := readDashboard(t, dashPath)
	uid := ds.Datasources[0].UID
	wantTitles := []string{"Throughput", "Dead letters by reason", "Transactions by outcome", "Stage latency",
		"End-to-end latency", "Consumer lag per input partition", "Buffered", "Rebalances", "State restore"}
	for _, want := range wantTitles {
		if !slices.ContainsFunc(dash.Panels, func(p dashPanel) bool { return strings.HasPrefix(p.Title, want) }) {
			t.Errorf("dashboard has no panel titled %q…", want)
		}
	}
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		if p.Datasource.UID != uid || len(p.Targets) == 0 {
			t.Errorf("panel %q: datasource %q (want %q), %d targets", p.Title, p.Datasource.UID, uid, len(p.Targets))
		}
		for _, tg := range p.Targets {
			if tg.Datasource.UID != uid || strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q target %s: datasource %q, expr %q", p.Title, tg.RefID, tg.Datasource.UID, tg.Expr)
			}
			if strings.Count(tg.Expr, "(") != strings.Count(tg.Expr, ")") || strings.Count(tg.Expr, "{") != strings.Count(tg.Expr, "}") {
				t.Errorf("panel %q: unbalanced expression %q", p.Title, tg.Expr)
			}
			if strings.Contains(tg.Expr, "histogram_quantile") && !strings.Contains(tg.Expr, "_bucket") {
				t.Errorf("panel %q: histogram_quantile over a non-bucket series: %q", p.Title, tg.Expr)
			}
		}
	}
}

type dashPanel struct {
	Title      string
	Type       string
	Datasource struct{ UID string }
	Targets    []struct {
		RefID      string
		Expr       string
		Datasource struct{ UID string }
	}
}

func readDashboard(t *testing.T, path string) struct{ Panels []dashPanel } {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID    string
		Title  string
		Panels []dashPanel
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&dash); err != nil {
		t.Fatalf("%s is not valid JSON: %v", path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		t.Fatalf("%s: trailing data after the dashboard", path)
	}
	if dash.UID == "" || dash.Title == "" || len(dash.Panels) == 0 {
		t.Fatalf("%s: uid %q, title %q, %d panels", path, dash.UID, dash.Title, len(dash.Panels))
	}
	return struct{ Panels []dashPanel }{dash.Panels}
}

// k8sObject is the part of a Kubernetes manifest these tests read.
type k8sObject struct {
	Kind     string
	Metadata struct{ Name string }
	Spec     yaml.Node
	Data     map[string]string
}

// readManifests decodes every document of every YAML file in dir, by kind.
func readManifests(t *testing.T, dir string) map[string]k8sObject {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", dir, err)
	}
	objs := map[string]k8sObject{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var o k8sObject
			if err := dec.Decode(&o); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" {
				t.Fatalf("%s: a document without kind", f)
			}
			objs[o.Kind] = o
		}
	}
	return objs
}

func decodeSpec(o k8sObject, v any) error { return o.Spec.Decode(v) }

// statefulSetSpec is the part of a StatefulSet these tests read.
type statefulSetSpec struct {
	Replicas            int
	ServiceName         string `yaml:"serviceName"`
	PodManagementPolicy string `yaml:"podManagementPolicy"`
	Template            struct {
		Spec struct {
			TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
			SecurityContext               struct {
				RunAsNonRoot bool `yaml:"runAsNonRoot"`
			} `yaml:"securityContext"`
			Containers []struct {
				Args []string
				Env  []struct {
					Name      string
					ValueFrom struct {
						FieldRef struct {
							FieldPath string `yaml:"fieldPath"`
						} `yaml:"fieldRef"`
						SecretKeyRef    struct{ Name, Key string } `yaml:"secretKeyRef"`
						ConfigMapKeyRef any                        `yaml:"configMapKeyRef"`
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
				Resources       struct{ Requests, Limits map[string]string }
				SecurityContext struct {
					AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
					ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
				} `yaml:"securityContext"`
			}
		}
	}
}

func TestKubernetesManifests(t *testing.T) {
	objs := readManifests(t, "kubernetes")
	if _, ok := objs["Deployment"]; ok {
		t.Error("deploy/kubernetes has a Deployment: members run as a StatefulSet, so a replacement pod keeps its predecessor's name and instance id")
	}
	for _, kind := range []string{"StatefulSet", "PodDisruptionBudget", "Service", "ConfigMap"} {
		if _, ok := objs[kind]; !ok {
			t.Fatalf("no %s in deploy/kubernetes", kind)
		}
	}
	var d statefulSetSpec
	if err := decodeSpec(objs["StatefulSet"], &d); err != nil {
		t.Fatal(err)
	}
	if d.ServiceName != objs["Service"].Metadata.Name || d.PodManagementPolicy != "Parallel" {
		t.Errorf("serviceName %q (want the headless Service %q), podManagementPolicy %q (want Parallel)",
			d.ServiceName, objs["Service"].Metadata.Name, d.PodManagementPolicy)
	}
	pod := d.Template.Spec
	if d.Replicas != 3 || len(pod.Containers) != 1 {
		t.Fatalf("replicas %d, containers %d: want 3 and 1", d.Replicas, len(pod.Containers))
	}
	c := pod.Containers[0]
	if c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("probes: readiness %q, liveness %q; want /readyz and /healthz", c.ReadinessProbe.HTTPGet.Path, c.LivenessProbe.HTTPGet.Path)
	}
	if len(c.Ports) != 1 || c.Ports[0].ContainerPort != 9464 || c.ReadinessProbe.HTTPGet.Port != c.Ports[0].Name || c.LivenessProbe.HTTPGet.Port != c.Ports[0].Name {
		t.Errorf("probes must target the metrics port 9464: ports %+v", c.Ports)
	}
	env := map[string]int{}
	for i, e := range c.Env {
		env[e.Name] = i
	}
	if i, ok := env["EVENTPROC_INSTANCE_ID"]; !ok || c.Env[i].ValueFrom.FieldRef.FieldPath != "metadata.name" {
		t.Error("EVENTPROC_INSTANCE_ID must come from the pod name (fieldRef metadata.name)")
	}
	if i, ok := env["EVENTPROC_SASL_PASSWORD"]; !ok || c.Env[i].ValueFrom.SecretKeyRef.Name == "" {
		t.Error("EVENTPROC_SASL_PASSWORD must come from a Secret")
	}
	if !pod.SecurityContext.RunAsNonRoot || c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation || !c.SecurityContext.ReadOnlyRootFilesystem {
		t.Error("the pod must run as non-root, without privilege escalation, on a read-only root file system")
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
	}

	// The config file the pod runs with: --config names the ConfigMap's key
	// at its mount path, and its shutdown timeout fits the grace period.
	cfgIdx := slices.Index(c.Args, "--config")
	if len(c.Args) == 0 || c.Args[0] != "run" || cfgIdx < 0 || cfgIdx+1 >= len(c.Args) {
		t.Fatalf("args %v: want run --config <file>", c.Args)
	}
	key := filepath.Base(c.Args[cfgIdx+1])
	cfgText, ok := objs["ConfigMap"].Data[key]
	if !ok {
		t.Fatalf("ConfigMap has no key %q (the --config file)", key)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(cfgText), &cfg); err != nil {
		t.Fatalf("ConfigMap %s: %v", key, err)
	}
	shutdown, err := time.ParseDuration(cfg["shutdown-timeout"].(string))
	if err != nil {
		t.Fatalf("shutdown-timeout: %v", err)
	}
	if grace := time.Duration(pod.TerminationGracePeriodSeconds) * time.Second; grace <= shutdown {
		t.Errorf("terminationGracePeriodSeconds %s must exceed --shutdown-timeout %s", grace, shutdown)
	}
	for k := range cfg {
		if strings.Contains(k, "password") && !strings.HasSuffix(k, "-file") {
			t.Errorf("ConfigMap holds a secret key %q", k)
		}
	}

	var pdb struct {
		MaxUnavailable int `yaml:"maxUnavailable"`
		Selector       struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		}
	}
	if err := decodeSpec(objs["PodDisruptionBudget"], &pdb); err != nil {
		t.Fatal(err)
	}
	if pdb.MaxUnavailable != 1 || pdb.Selector.MatchLabels["app.kubernetes.io/name"] != "eventproc" {
		t.Errorf("PodDisruptionBudget %+v: want maxUnavailable 1 selecting eventproc", pdb)
	}
	var svc struct {
		Ports []struct {
			Port       int
			TargetPort string `yaml:"targetPort"`
		}
	}
	if err := decodeSpec(objs["Service"], &svc); err != nil {
		t.Fatal(err)
	}
	if len(svc.Ports) != 1 || svc.Ports[0].Port != 9464 || svc.Ports[0].TargetPort != c.Ports[0].Name {
		t.Errorf("Service ports %+v: want 9464 to the metrics port", svc.Ports)
	}
}
