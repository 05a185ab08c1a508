package processor

// WindowStats describes one committed window, for Config.OnCommit.
type WindowStats struct {
	// Records is how many input records the window consumed.
	Records int
	// Published is how many events it wrote to the output topic.
	Published int
	// DeadLettered is how many records it wrote to the dead-letter topic.
	DeadLettered int
}

// notifyCommit hands a committed window's counts to cfg.OnCommit.
func (r *runner) notifyCommit(records int, res *windowResult) {
	if r.cfg.OnCommit == nil {
		return
	}
	s := WindowStats{Records: records, Published: res.accepted}
	for _, n := range res.rejected {
		s.DeadLettered += n
	}
	r.cfg.OnCommit(s)
}
