// Package rules owns the classification rules file: its YAML format,
// strict validation with line numbers, the compiled-in defaults, the rules
// hash that outputs carry as derived_fields.rules_version, and the
// translation of rules into the classify and enrich stage configurations.
//
// It is pure: it reads bytes (or one file) and returns values. It must not
// import Kafka or Prometheus.
package rules
