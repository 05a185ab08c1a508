package enrich

import (
	"github.com/eventproc/eventproc/event"
	"github.com/eventproc/eventproc/internal/unit"
)

// riskTermWeight is the weight of each of the four risk terms:
// risk = ¼·priority + ¼·load + ¼·complexity + ¼·category bonus.
const riskTermWeight = 0.25

// Priority risk levels, spaced so that each step up the priority ladder
// adds the same 0.3 and CRITICAL is maximal. LOW stays above 0 because a
// low-priority event is still an event someone may need to act on.
const (
	priorityRiskLow      = 0.1
	priorityRiskMedium   = 0.4
	priorityRiskHigh     = 0.7
	priorityRiskCritical = 1.0
)

// Default category risk bonuses: how much harm an event of the category can signal.
const (
	// categoryBonusAlert: an alert is by definition a call for attention.
	categoryBonusAlert = 1.0
	// categoryBonusTransaction: business transactions carry money and
	// customer impact.
	categoryBonusTransaction = 0.8
	// categoryBonusSystem: system events can precede outages.
	categoryBonusSystem = 0.5
	// categoryBonusUser: user actions matter to one user at a time.
	categoryBonusUser = 0.3
	// categoryBonusMonitoring: monitoring data is routine telemetry.
	categoryBonusMonitoring = 0.2
)

// RiskScore is the risk formula, in [0, 1]: the mean of the priority
// level, the load, the metadata complexity and the category bonus. Load and
// complexity are clamped to [0, 1] (NaN counts as 0); an undefined priority
// or category contributes 0.
func RiskScore(p event.Priority, load, complexity float64, c event.Category) float64 {
	return riskScore(p, load, complexity, categoryBonus(c))
}

// RiskTerms are the four terms of the risk score before weighting.
type RiskTerms struct {
	Priority, Load, Complexity, CategoryBonus float64
}

// Terms returns the risk terms of an event under cfg's category bonuses
// (nil bonuses: the defaults); Score is their weighted mean.
func Terms(cfg Config, p event.Priority, load, complexity float64, c event.Category) RiskTerms {
	t := RiskTerms{Priority: priorityRisk(p), Load: unit.Clamp(load), Complexity: unit.Clamp(complexity)}
	switch {
	case cfg.CategoryBonus == nil:
		t.CategoryBonus = categoryBonus(c)
	case c < event.NumCategories:
		t.CategoryBonus = cfg.CategoryBonus[c]
	}
	return t
}

// Score is the weighted mean of the terms, in [0, 1].
func (t RiskTerms) Score() float64 {
	return unit.Clamp(float64(riskTermWeight*t.Priority) + float64(riskTermWeight*t.Load) +
		float64(riskTermWeight*t.Complexity) + float64(riskTermWeight*t.CategoryBonus))
}

// RiskTermWeight is the weight of each risk term.
const RiskTermWeight = riskTermWeight

func riskScore(p event.Priority, load, complexity, bonus float64) float64 {
	risk := float64(riskTermWeight*priorityRisk(p)) +
		float64(riskTermWeight*unit.Clamp(load)) +
		float64(riskTermWeight*unit.Clamp(complexity)) +
		float64(riskTermWeight*bonus)
	return unit.Clamp(risk)
}

func priorityRisk(p event.Priority) float64 {
	switch p {
	case event.PriorityLow:
		return priorityRiskLow
	case event.PriorityMedium:
		return priorityRiskMedium
	case event.PriorityHigh:
		return priorityRiskHigh
	case event.PriorityCritical:
		return priorityRiskCritical
	}
	return 0
}

func categoryBonus(c event.Category) float64 {
	switch c {
	case event.CategorySystem:
		return categoryBonusSystem
	case event.CategoryUser:
		return categoryBonusUser
	case event.CategoryTransaction:
		return categoryBonusTransaction
	case event.CategoryMonitoring:
		return categoryBonusMonitoring
	case event.CategoryAlert:
		return categoryBonusAlert
	}
	return 0
}
