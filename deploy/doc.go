// Package deploy holds eventproc's deployment files: the Prometheus scrape
// configuration and Grafana dashboard used by docker-compose.yml, and
// Kubernetes manifests. Its only code, LoadCompose, serves the tests. Its tests check those files' structure (compose_test.go);
// that every flag and EVENTPROC_* variable they name exists in the real command
// line is checked in cmd/eventproc (deploy_test.go), which can build the CLI.
package deploy
