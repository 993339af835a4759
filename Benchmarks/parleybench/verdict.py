"""The verdict on what a run's observers (parleybench/observer.py) saw: acknowledged, refused or
unanswered messages, losses and partial deliveries, seqs naming two messages, duplicates, gaps
and reorderings, and when messages flowed again after a cut."""


def judge(observers, publishers, cut_time, back_time):
    """What the observers saw, judged: for each publishing observer, what was acknowledged (its
    own copy came back), refused (`unavailable`) or never answered, and whether every other
    observer heard what it acknowledged; everywhere, whether a seq named two messages, and each
    observer's duplicates, gaps and reorderings; and when messages flowed again: the first
    message published after `cut_time`, at the last observer to hear it."""
    snapshots = {o.name: o.snapshot() for o in observers}
    heard_from = {o.name: {} for o in observers}  # observer -> publisher -> texts heard
    for o in observers:
        for _, sender, text, _ in snapshots[o.name][0]:
            heard_from[o.name].setdefault(sender, set()).add(text)
    published = acknowledged = refused = unanswered = 0
    acknowledged_lost, partial = [], []
    flow_at = None
    for publisher in publishers:
        heard, errors, sent = snapshots[publisher.name]
        own = {text for _, sender, text, _ in heard if sender == publisher.name}
        refusals = [e for e in errors if e[0] == "unavailable"]
        texts = [text for text, _ in sent]
        published += len(texts)
        acknowledged += len(own)
        refused += len(refusals)
        unanswered += len(texts) - len(own) - len(refusals)
        by_others = [heard_from[o.name].get(publisher.name, set()) for o in observers]
        acknowledged_lost += [t for t in own if any(t not in h for h in by_others)]
        partial += [t for t in texts if 0 < sum(t in h for h in by_others) < len(observers)]
        for text, when in sent:
            if when <= cut_time:
                continue
            arrivals = [next((a for _, s, t, a in snapshots[o.name][0] if s == publisher.name and t == text), None)
                        for o in observers]
            if all(a is not None for a in arrivals):
                flow_at = max(arrivals) if flow_at is None else min(flow_at, max(arrivals))
                break

    messages_by_seq = {}
    duplicates, gaps, out_of_order = {}, {}, {}
    for name, (heard, _, _) in snapshots.items():
        seqs = [seq for seq, _, _, _ in heard]
        for seq, sender, text, _ in heard:
            messages_by_seq.setdefault(seq, set()).add((sender, text))
        duplicates[name] = len(seqs) - len(set(seqs))
        gaps[name] = (max(seqs) - min(seqs) + 1 - len(set(seqs))) if seqs else 0
        out_of_order[name] = sum(1 for a, b in zip(seqs, seqs[1:]) if b <= a)
    seq_reused = sorted(seq for seq, messages in messages_by_seq.items() if len(messages) > 1)
    return {
        "published": published, "acknowledged": acknowledged, "refused": refused, "unanswered": unanswered,
        "acknowledgedLost": len(acknowledged_lost), "acknowledgedLostTexts": sorted(acknowledged_lost)[:10],
        "partial": len(partial), "partialTexts": sorted(partial)[:10],
        "seqReused": len(seq_reused), "seqReusedExamples": seq_reused[:10],
        "duplicates": duplicates, "gaps": gaps, "outOfOrder": out_of_order,
        "epochChanges": {o.name: o.resume_failures for o in observers if o.resume_failures},
        "closed": {o.name: o.closed for o in observers if o.closed},
        "heard": {name: len(s[0]) for name, s in snapshots.items()},
        "flowAfterKillSeconds": None if flow_at is None else flow_at - cut_time,
        "flowAfterPromoteSeconds": None if flow_at is None else flow_at - back_time,
    }

