#!/usr/bin/env python3
"""report.py RAW_DIR [DETAIL_OUT] — the markdown report of one bench/run.sh run.

Reads what the phases wrote under RAW_DIR (meta.json, check/, timing/, memory/,
syscalls/) and prints the report (run.sh saves it as bench/results/latest.md).
With DETAIL_OUT, also writes the per-verb syscall lists there.

Units: times are per container, in ms (a hyperfine run of N containers / N).
Memory: KiB as the kernel reports it (ru_maxrss, /proc/PID/status); "MB" in the
summary is 10^6 bytes. Medians over runs or repeats; ranges are min–max.
"""
import collections
import json
import os
import re
import statistics
import struct
import sys

RAW = sys.argv[1]
DETAIL_OUT = sys.argv[2] if len(sys.argv) > 2 else None
META = json.load(open(os.path.join(RAW, "meta.json")))
LABELS = META["labels"]  # runtime labels, in RUNTIMES order
REF = "crun" if "crun" in LABELS else (LABELS[0] if LABELS else None)
VERBS = ("create", "start", "delete", "run")
FAILED = "failed"


def read(path, default=None):
    try:
        with open(path, errors="replace") as f:
            return f.read().strip()
    except OSError:
        return default


def med(vals):
    return statistics.median(vals) if vals else None


def fnum(v, nd=1):
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    return f"{v:,.{nd}f}" if nd else f"{round(v):,}"


def rng(vals, nd=0):
    """median (min–max) of a list, or just the value when all are equal"""
    if not vals:
        return "–"
    m = med(vals)
    if min(vals) == max(vals):
        return fnum(m, nd)
    return f"{fnum(m, nd)} ({fnum(min(vals), nd)}–{fnum(max(vals), nd)})"


def md_table(header, rows, align=None):
    align = align or (["---"] + ["---:"] * (len(header) - 1))
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ---------------------------------------------------------------- preflight
def check(label, verb):
    return read(os.path.join(RAW, "check", f"{label}.{verb}"))


def verb_ok(label, verb):
    return check(label, verb) == "ok"


def lc_ok(label):
    return all(verb_ok(label, v) for v in ("create", "start", "delete"))


footnotes = []


def fail_cell(label, verb):
    """'failed' + a footnote reference with the preflight's reason"""
    reason = check(label, verb)
    if reason is None:
        return "–"
    key = f"{label} {verb}: {reason}"
    if key not in footnotes:
        footnotes.append(key)
    return f"{FAILED} [{footnotes.index(key) + 1}]"


# ---------------------------------------------------------------- timing
def timing(tag):
    """merged hyperfine results of all rounds of TAG (warm, cold)"""
    tdir = os.path.join(RAW, "timing")
    rounds = sorted((f[:-5] for f in os.listdir(tdir) if f.startswith(tag + ".r") and f.endswith(".json")),
                    key=lambda x: int(x.rsplit(".r", 1)[1])) if os.path.isdir(tdir) else []
    if not rounds:
        return None
    n = int(read(os.path.join(tdir, f"{rounds[0]}.n"), "1"))
    acc = collections.OrderedDict()
    for rd in rounds:
        for r in json.load(open(os.path.join(tdir, f"{rd}.json")))["results"]:
            name = r.get("command_name") or r["command"]
            a = acc.setdefault(name, dict(times=[], codes=[], user=[], system=[]))
            codes = r.get("exit_codes") or [0] * len(r["times"])
            a["times"] += r["times"]
            a["codes"] += codes
            a["user"].append(r["user"])
            a["system"].append(r["system"])
    rows = {}
    for name, a in acc.items():
        bad = sum(1 for c in a["codes"] if c != 0)
        t = [x / n * 1000.0 for x, c in zip(a["times"], a["codes"]) if c == 0]
        rows[name] = dict(times=t, bad=bad, runs=len(a["times"]),
                          median=med(t), mean=statistics.mean(t) if t else None,
                          sd=statistics.stdev(t) if len(t) > 1 else 0.0,
                          min=min(t) if t else None, max=max(t) if t else None,
                          user=statistics.mean(a["user"]) / n * 1000.0,
                          system=statistics.mean(a["system"]) / n * 1000.0)
    loads = [(read(os.path.join(tdir, f"{rd}.load-before"), "?"), read(os.path.join(tdir, f"{rd}.load-after"), "?"))
             for rd in rounds]
    return dict(n=n, rows=rows, rounds=len(rounds), cmd=read(os.path.join(tdir, f"{rounds[0]}.cmd"), ""), loads=loads)


def time_cell(T, label, mode):
    """median ms per container, or failed"""
    if T is None:
        return "–"
    if mode == "lifecycle" and not lc_ok(label):
        bad = [v for v in ("create", "start", "delete") if not verb_ok(label, v)]
        return fail_cell(label, bad[0])
    if mode == "run" and not verb_ok(label, "run"):
        return fail_cell(label, "run")
    r = T["rows"].get(f"{label} {mode}")
    if r is None:
        return "–"
    if r["bad"]:
        return f"{FAILED} ({r['bad']}/{r['runs']} runs)"
    return fnum(r["median"], 1)


def ratio(T, label, mode, net=False):
    if T is None or REF is None:
        return None
    a, b = T["rows"].get(f"{label} {mode}"), T["rows"].get(f"{REF} {mode}")
    if not a or not b or a["bad"] or b["bad"] or a["median"] is None or b["median"] is None:
        return None
    if net:
        null = T["rows"].get("null" if mode == "lifecycle" else "null run")
        if not null or null["median"] is None:
            return None
        den = b["median"] - null["median"]
        return (a["median"] - null["median"]) / den if den > 0 else None
    return a["median"] / b["median"]


def ratio_cell(v):
    return "–" if v is None else f"{v:.2f}×"


# ---------------------------------------------------------------- memory
def kv_file(path):
    d = {}
    txt = read(path)
    if txt is None:
        return None
    for tok in txt.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            d[k] = int(v)
    return d


def proc_kv(path):
    txt = read(path)
    if txt is None:
        return None
    d = {}
    for line in txt.splitlines():
        m = re.match(r"^(\w+):\s+(\d+)", line)
        if m:
            d[m.group(1)] = int(m.group(2))
    return d


def memory():
    base = os.path.join(RAW, "memory")
    if not os.path.isdir(base):
        return None
    M = {}
    for who in os.listdir(base):
        rec = M.setdefault(who, collections.defaultdict(list))
        for k in sorted(os.listdir(os.path.join(base, who))):
            d = os.path.join(base, who, k)
            for verb in VERBS:
                ru = kv_file(os.path.join(d, f"{verb}.ru"))
                if ru is not None:
                    rec[verb].append(ru)
            st = proc_kv(os.path.join(d, "init.status"))
            if st:
                rec["init"].append(st)
                rec["init_smaps"].append(proc_kv(os.path.join(d, "init.smaps")) or {})
                rec["init_cmd"].append(read(os.path.join(d, "init.cmdline"), ""))
    return M


def rss_vals(M, who, verb):
    """max RSS (KiB) of the successful runs, or 'failed'"""
    rows = (M or {}).get(who, {}).get(verb, [])
    if who in LABELS and not verb_ok(who, verb):
        return FAILED
    if any(r.get("status", 0) != 0 for r in rows):
        return FAILED
    return [r["maxrss_kb"] for r in rows] or None


def rss_cell(M, who, verb, unit="kB"):
    v = rss_vals(M, who, verb)
    if v == FAILED:
        return fail_cell(who, verb) if who in LABELS and not verb_ok(who, verb) else FAILED
    if not v:
        return "–"
    return fnum(med(v) * 1024 / 1e6, 1) if unit == "MB" else rng(v)


def init_rss(M, who):
    rows = (M or {}).get(who, {}).get("init", [])
    return [r["VmRSS"] for r in rows if "VmRSS" in r]


# ---------------------------------------------------------------- syscalls
LINE = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(.*)$")
CALL = re.compile(r"^([a-z_][a-z0-9_]*)\(")
PAYLOAD = '"/bin/true"'
NOISE = {"futex", "nanosleep", "clock_nanosleep", "sched_yield", "epoll_pwait", "epoll_wait",
         "tgkill", "rt_sigreturn", "getpid"}  # timing-dependent calls (Go runtime scheduling)


def new_stat():
    return dict(total=0, names=collections.Counter(), procs=0, threads=0, execs=0, tasks=set())


def add_call(st, pid, name, rest):
    st["total"] += 1
    st["names"][name] += 1
    st["tasks"].add(pid)
    if name in ("clone", "clone3"):
        st["threads" if "CLONE_THREAD" in rest else "procs"] += 1
    elif name in ("fork", "vfork"):
        st["procs"] += 1
    elif name in ("execve", "execveat"):
        st["execs"] += 1


def parse_trace(path, split=None):
    """phases of one `strace -f -ttt -o` file: main (or create/poststart with a
    split time) and payload (the /bin/true process after its exec). A syscall
    counts once, at its entry line."""
    if not os.path.exists(path):
        return None
    lines = []
    with open(path, errors="replace") as f:
        for raw in f:
            m = LINE.match(raw)
            if m:
                lines.append((int(m.group(1)), float(m.group(2)), m.group(3)))
    exec_at = None  # index of the last exec of the payload (failed PATH tries come first)
    for i, (pid, ts, rest) in enumerate(lines):
        if (rest.startswith("execve(") or rest.startswith("execveat(")) and PAYLOAD in rest:
            exec_at = i
    payload_pid = lines[exec_at][0] if exec_at is not None else None
    phases = collections.OrderedDict()
    for i, (pid, ts, rest) in enumerate(lines):
        if rest.startswith(("<...", "+++", "---")):
            continue
        m = CALL.match(rest)
        if not m:
            continue
        if payload_pid is not None and pid == payload_pid and i > exec_at:
            ph = "payload"
        elif split is not None:
            ph = "create" if ts < split else "poststart"
        else:
            ph = "main"
        add_call(phases.setdefault(ph, new_stat()), pid, m.group(1), rest)
    return phases


def merge(*sts):
    out = new_stat()
    for st in sts:
        if not st:
            continue
        for k in ("total", "procs", "threads", "execs"):
            out[k] += st[k]
        out["names"].update(st["names"])
        out["tasks"] |= st["tasks"]
    return out


def c_total(path):
    """(calls, errors) from the total line of `strace -c`"""
    txt = read(path)
    if not txt:
        return None
    for line in txt.splitlines():
        f = line.split()
        if f and f[-1] == "total":
            return int(f[3]), (int(f[4]) if len(f) == 6 else 0)
    return None


def syscalls():
    base = os.path.join(RAW, "syscalls")
    if not os.path.isdir(base):
        return None
    S = {}
    for who in os.listdir(base):
        rec = S.setdefault(who, collections.defaultdict(list))
        for k in sorted(os.listdir(os.path.join(base, who))):
            d = os.path.join(base, who, k)
            if who == "floor":
                p = parse_trace(os.path.join(d, "run.tr")) or {}
                if "main" in p:
                    rec["run"].append(p["main"])
                    rec["payload"].append(p.get("payload") or new_stat())
                ct = c_total(os.path.join(d, "run.c"))
                if ct:
                    rec["run.c"].append(ct)
                continue
            if os.path.exists(os.path.join(d, "failed")):
                rec["failed"].append(read(os.path.join(d, "failed")))
            T = read(os.path.join(d, "T"))
            c = parse_trace(os.path.join(d, "create.tr"), split=float(T)) if T else None
            s = parse_trace(os.path.join(d, "start.tr"))
            dl = parse_trace(os.path.join(d, "delete.tr"))
            if c and s and dl:
                create, post = c.get("create") or new_stat(), c.get("poststart") or new_stat()
                start, delete = s.get("main") or new_stat(), dl.get("main") or new_stat()
                rec["create"].append(create)
                rec["start"].append(start)
                rec["poststart"].append(post)
                rec["delete"].append(delete)
                rec["lifecycle"].append(merge(create, start, post, delete))
                rec["payload"].append(c.get("payload") or new_stat())
            r = parse_trace(os.path.join(d, "run.tr"))
            if r and "main" in r:
                rec["run"].append(r["main"])
            for verb in VERBS:
                ct = c_total(os.path.join(d, f"{verb}.c"))
                if ct:
                    rec[f"{verb}.c"].append(ct)
    return S


def sc_cell(S, who, phase, field="total"):
    verbs = {"create": ["create"], "start": ["start"], "poststart": ["start"], "delete": ["delete"],
             "lifecycle": ["create", "start", "delete"], "run": ["run"], "payload": ["create"]}
    if who in LABELS:
        for v in verbs.get(phase, []):
            if not verb_ok(who, v):
                return fail_cell(who, v)
    rows = (S or {}).get(who, {}).get(phase, [])
    if not rows:
        return "–"
    if field == "quiet":
        return rng([r["total"] - sum(c for n, c in r["names"].items() if n in NOISE) for r in rows])
    return rng([r[field] for r in rows])


def sc_median(S, who, phase):
    rows = (S or {}).get(who, {}).get(phase, [])
    return med([r["total"] for r in rows]) if rows else None


# ---------------------------------------------------------------- binaries
def elf_info(path):
    """(static?, stripped?) from the ELF headers (64-bit little-endian only)"""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    e_phoff, e_shoff = struct.unpack_from("<QQ", data, 0x20)
    e_phentsize, e_phnum, e_shentsize, e_shnum = struct.unpack_from("<HHHH", data, 0x36)
    interp = any(struct.unpack_from("<I", data, e_phoff + i * e_phentsize)[0] == 3 for i in range(e_phnum))
    symtab = any(struct.unpack_from("<I", data, e_shoff + i * e_shentsize + 4)[0] == 2
                 for i in range(e_shnum)) if e_shoff else False
    return (not interp, not symtab)


def sizes():
    rows = []
    seen = set()
    for label, path in META["paths"].items():
        rows.append((label, path))
        seen.add(path)
    for extra in META.get("extra_binaries", []):
        if extra[1] not in seen:
            rows.append(tuple(extra))
    out = []
    for label, path in rows:
        full = path if os.path.isabs(path) else os.path.join(META["repo"], path)
        if not os.path.exists(full):
            out.append((label, path, None, None))
            continue
        out.append((label, path, os.path.getsize(full), elf_info(full)))
    return out


# ---------------------------------------------------------------- report
def main():
    W, C = timing("warm"), timing("cold")
    M, S = memory(), syscalls()
    cols = LABELS + ["floor"]
    p = []
    p.append(f"# tsrun benchmark: {META['date']}\n")
    p.append(f"Command (from the repository root): `{META['command']}`\n")
    p.append("| | |\n|---|---|")
    for k, v in META["machine"].items():
        p.append(f"| {k} | {v} |")
    p.append(f"| cgroup view | {read(os.path.join(RAW, 'cgroup-view'), '?')} |")
    p.append(f"| settings | {META['settings']} |")
    p.append(f"| machine load before / after | {META.get('load_before', '?')} / {read(os.path.join(RAW, 'load-after'), '?')} |")
    errs = read(os.path.join(RAW, "phase-errors"))
    if errs:
        p.append(f"| phase errors | {errs.replace(chr(10), '; ')} |")
    if META.get("build_note"):
        p.append(f"| build | {META['build_note']} |")
    p.append("")

    # ---- summary
    p.append("## Summary (per container; medians of this one run)\n")
    hdr = [""] + [f"{l}" for l in LABELS] + ["floor"]
    rows = []

    def trow(name, T, mode):
        if T is None:
            return
        cells = [time_cell(T, l, mode) for l in LABELS]
        f = T["rows"].get("floor")
        cells.append(fnum(f["median"], 1) if f and mode == "run" and not f["bad"] else
                     (f"({fnum(f['median'], 1)})" if f and not f["bad"] else "–"))
        rows.append([name] + cells)
        rows.append([f"  ↳ ratio vs {REF} (median; net of loop cost)"] +
                    [("–" if ratio(T, l, mode) is None else
                      f"{ratio(T, l, mode):.2f}× ({ratio_cell(ratio(T, l, mode, net=True))})") for l in LABELS] + [""])

    trow("create+start+delete, warm (ms)", W, "lifecycle")
    trow("`run`, warm (ms)", W, "run")
    trow("create+start+delete, cold cache (ms)", C, "lifecycle")
    trow("`run`, cold cache (ms)", C, "run")
    if M is not None:
        rows.append(["max RSS create / start / delete (MB)"] +
                    [" / ".join(rss_cell(M, l, v, "MB") for v in ("create", "start", "delete")) for l in LABELS] + ["–"])
        rows.append(["max RSS `run` (MB)"] + [rss_cell(M, w, "run", "MB") for w in LABELS + ["floor"]])
        rows.append(["RSS of the init waiting between create and start (MB)"] +
                    [(fnum(med(init_rss(M, l)) * 1024 / 1e6, 1) if init_rss(M, l) else
                      (fail_cell(l, "create") if not verb_ok(l, "create") else "–")) for l in LABELS] + [""])
    if S is not None:
        rows.append(["syscalls per lifecycle (strace -f; create+start+init+delete)"] +
                    [sc_cell(S, l, "lifecycle") for l in LABELS] + [sc_cell(S, "floor", "run")])
        rows.append(["syscalls of `run` (strace -f)"] + [sc_cell(S, w, "run") for w in LABELS + ["floor"]])
    sz = {label: (size, info) for label, _, size, info in sizes()}
    rows.append(["binary size (bytes)"] + [fnum(sz[l][0], 0) if sz.get(l, (None,))[0] else "–" for l in LABELS] + [""])
    p.append(md_table(hdr, rows))
    p.append("\nfloor: the bare kernel work (clone3 with the 5 namespaces, pivot_root, proc, exec), no runtime; "
             "in the lifecycle rows it is shown in parentheses, as it has no create/start split. "
             "\"net of loop cost\": (median − null loop) / (crun median − null loop).\n")

    # ---- preflight
    p.append("## Preflight (does each verb really work?)\n")
    rows = []
    for l in LABELS:
        rows.append([l, META["paths"].get(l, "?")] +
                    [("ok" if verb_ok(l, v) else fail_cell(l, v)) for v in VERBS] +
                    [read(os.path.join(RAW, "check", f"{l}.version"), "–").replace("|", "/")[:70] or "–"])
    p.append(md_table(["runtime", "binary", "create", "start", "delete", "run", "--version"], rows,
                      ["---"] * 7))
    notes = [(l, read(os.path.join(RAW, "check", f"{l}.notes"))) for l in LABELS]
    for l, n in notes:
        if n:
            p.append(f"\n- {l}: {n}")
    p.append("\nA verb passes when it exits 0 and the effect is observed: create leaves a live init in "
             "a new pid namespace and writes the pid file; start makes it run the process (it prints "
             "pid=1 and the configured hostname) and exit; delete removes the state dir and the cgroup; "
             "run does it all in the foreground. Failed verbs are not timed.\n")

    # ---- timing detail
    for tag, T in (("warm", W), ("cold cache", C)):
        if T is None:
            continue
        p.append(f"## Wall time, {tag} (hyperfine; ms per container, N={T['n']} containers per run)\n")
        rows = []
        for name, r in T["rows"].items():
            mode = "lifecycle" if name.endswith(" lifecycle") else ("run" if name.endswith(" run") and name != "null run" else None)
            label = name.rsplit(" ", 1)[0] if mode else None
            vs = ratio_cell(ratio(T, label, mode)) if mode else "–"
            net = ratio_cell(ratio(T, label, mode, net=True)) if mode else "–"
            fails = f"{r['bad']}/{r['runs']}" if r["bad"] else "0"
            mcell = fnum(r["median"], 2) if r["median"] is not None else f"{FAILED} ({r['bad']}/{r['runs']} runs)"
            rows.append([name, mcell, fnum(r["mean"], 2), fnum(r["sd"], 2), fnum(r["min"], 2),
                         fnum(r["max"], 2), fnum(r["user"], 2), fnum(r["system"], 2), vs, net, fails])
        for l in LABELS:  # runtimes whose verbs failed the preflight were not timed
            if not lc_ok(l):
                rows.append([f"{l} lifecycle", time_cell(T, l, "lifecycle")] + ["–"] * 9)
            if not verb_ok(l, "run"):
                rows.append([f"{l} run", time_cell(T, l, "run")] + ["–"] * 9)
        p.append(md_table(["command", "median", "mean", "σ", "min", "max", "user", "sys",
                           f"median vs {REF}", "net vs " + str(REF), "failed runs"], rows))
        if T["rounds"] == 1:
            p.append(f"\nMachine load before / after the hyperfine run: {T['loads'][0][0]} / {T['loads'][0][1]}\n")
        else:
            p.append(f"\n{T['rounds']} rounds (ROUNDS), merged. Machine load before / after each round: " +
                     "; ".join(f"{a} / {b}" for a, b in T["loads"]) + "\n")
        p.append("<details><summary>hyperfine command" + (" (round 1)" if T["rounds"] > 1 else "") +
                 ", as run inside the benchmark namespace</summary>\n\n```\n" + T["cmd"] + "\n```\n</details>\n")

    # ---- memory detail
    if M is not None:
        k = META["settings_raw"].get("K_MEM")
        p.append(f"## Memory (KiB; median (min–max) over {k} repeats)\n")
        rows = []
        for who in LABELS + ["floor", "true"]:
            verbs = VERBS if who in LABELS else ("run",)
            for v in verbs:
                vals = rss_vals(M, who, v)
                rr = [r for r in M.get(who, {}).get(v, []) if r.get("status", 0) == 0]
                name = "/bin/true (launcher reference)" if who == "true" else who
                if vals == FAILED or not vals:
                    rows.append([name, v, rss_cell(M, who, v), "–", "–"])
                else:
                    rows.append([name, v, rng(vals), rng([r["minflt"] for r in rr]),
                                 rng([r["wall_us"] / 1000 for r in rr], 1)])
        p.append(md_table(["runtime", "verb", "max RSS", "minor faults", "wall ms (one run each)"], rows,
                          ["---", "---", "---:", "---:", "---:"]))
        p.append("\nmax RSS = ru_maxrss from wait4(): the peak RSS of the verb's process or of any "
                 "descendant it waited for. The /bin/true row shows the floor of this measurement.\n")
        rows = []
        for l in LABELS:
            st = M.get(l, {}).get("init", [])
            sm = M.get(l, {}).get("init_smaps", [])
            if not st:
                rows.append([l, fail_cell(l, "create") if not verb_ok(l, "create") else "–"] + ["–"] * 6)
                continue
            words = (M[l]["init_cmd"] or [""])[0].split()
            verb = [w for w in words[1:] if not w.startswith("-") and "/" not in w][:1]
            cmd = " ".join([os.path.basename(words[0]) if words else "?"] + verb).replace("|", "/")
            rows.append([l, f"`{cmd}`"] + [rng([s.get(f) for s in st if f in s]) for f in ("VmRSS", "RssAnon", "RssFile", "VmHWM")] +
                        [rng([s.get(f) for s in sm if f in s]) for f in ("Pss", "Pss_Anon")])
        p.append("Container init waiting between create and start (/proc/PID/status, smaps_rollup; KiB):\n")
        p.append(md_table(["runtime", "init process", "VmRSS", "RssAnon", "RssFile", "VmHWM", "Pss", "Pss_Anon"], rows,
                          ["---", "---"] + ["---:"] * 6))
        p.append("")

    # ---- syscalls detail
    if S is not None:
        k = META["settings_raw"].get("K_SC")
        p.append(f"## Syscalls (strace -f; median (min–max) over {k} repeats)\n")
        rows = []
        for l in LABELS:
            rows.append([l] + [sc_cell(S, l, ph) for ph in ("create", "start", "poststart", "delete", "lifecycle")] +
                        [sc_cell(S, l, "lifecycle", "quiet"), sc_cell(S, l, "lifecycle", "procs"),
                         sc_cell(S, l, "lifecycle", "threads"), sc_cell(S, l, "lifecycle", "execs"),
                         sc_cell(S, l, "run"), sc_cell(S, l, "payload")])
        rows.append(["floor", "", "", "", "", sc_cell(S, "floor", "run"), sc_cell(S, "floor", "run", "quiet"),
                     sc_cell(S, "floor", "run", "procs"), sc_cell(S, "floor", "run", "threads"),
                     sc_cell(S, "floor", "run", "execs"), sc_cell(S, "floor", "run"), sc_cell(S, "floor", "payload")])
        p.append(md_table(["runtime", "create", "start", "init after start", "delete", "lifecycle",
                           "lifecycle w/o futex, sleeps, yields", "processes", "threads", "execs", "run", "payload /bin/true"], rows))
        p.append("\nCounted from full traces (`strace -f -ttt`): every syscall entry of the verb's "
                 "process tree. \"init after start\" is the container init's work from the start "
                 "command on (open the exec FIFO … exec), traced by the create tracer that keeps "
                 "following it. The payload (/bin/true after its exec) is excluded everywhere and shown "
                 "apart. Go's runtime (runc) makes its counts vary run to run.\n")
        rows = []
        for w in LABELS + ["floor"]:
            cells = []
            for v in VERBS:
                vals = S.get(w, {}).get(f"{v}.c", [])
                if w in LABELS and not verb_ok(w, v):
                    cells.append(fail_cell(w, v))
                elif w == "floor" and v != "run":
                    cells.append("")
                else:
                    cells.append(f"{rng([c for c, _ in vals])} / {rng([e for _, e in vals])}" if vals else "–")
            rows.append([w] + cells)
        p.append("`strace -f -c` totals, calls / errors (create: up to its return, the tracer then "
                 "detaches from the waiting init; start: the start command only; run: payload included):\n")
        p.append(md_table(["runtime", "create", "start", "delete", "run"], rows))
        p.append("")

    # ---- binaries
    p.append("## Binary size\n")
    rows = []
    for label, path, size, info in sizes():
        if size is None:
            rows.append([label, f"`{path}`", "not built", "–", "–"])
            continue
        kind = "–" if info is None else (("static" if info[0] else "dynamic (+ shared libraries)") +
                                          (", stripped" if info[1] else ", not stripped"))
        rows.append([label, f"`{path}`", fnum(size, 0), f"{size / 1e6:.3f}", kind])
    p.append(md_table(["binary", "path", "bytes", "MB", "linking"], rows, ["---", "---", "---:", "---:", "---"]))
    if META.get("minimal_note"):
        p.append(f"\n{META['minimal_note']}")
    p.append("")

    # ---- issue 7 targets
    if "tsrun" in LABELS:
        p.append("## tsrun against the targets of issue 7\n")
        rows = []

        def verdict(ok):
            return "met" if ok else "**not met**"

        for tag, T in (("warm", W), ("cold", C)):
            for mode, name in (("lifecycle", "create+start+delete"), ("run", "`run`")):
                if T is None:
                    if tag == "cold":
                        rows.append([f"{name}, {tag}: ≤ 0.5× {REF}", "not measured (run.sh --cold)", "–"])
                    continue
                rt = ratio(T, "tsrun", mode)
                cell = time_cell(T, "tsrun", mode)
                if rt is None:
                    rows.append([f"{name}, {tag}: ≤ 0.5× {REF}", cell, FAILED if FAILED in cell else "–"])
                else:
                    rows.append([f"{name}, {tag}: ≤ 0.5× {REF}", f"{cell} ms = {rt:.2f}× {REF}", verdict(rt <= 0.5)])
        if M is not None:
            for v in VERBS:
                vals = rss_vals(M, "tsrun", v)
                if vals == FAILED or not vals:
                    rows.append([f"max RSS of {v} ≤ 1.5 MB", rss_cell(M, "tsrun", v), FAILED if vals == FAILED else "–"])
                else:
                    m = med(vals) * 1024
                    rows.append([f"max RSS of {v} ≤ 1.5 MB", f"{m / 1e6:.2f} MB", verdict(m <= 1.5e6)])
            iv = init_rss(M, "tsrun")
            rows.append(["waiting init RSS ≤ 1 MB",
                         f"{med(iv) * 1024 / 1e6:.2f} MB" if iv else fail_cell("tsrun", "create"),
                         verdict(med(iv) * 1024 <= 1e6) if iv else FAILED])
        if S is not None:
            n = sc_median(S, "tsrun", "lifecycle")
            rows.append(["syscalls per lifecycle ≤ 300", fnum(n, 0) if n is not None else sc_cell(S, "tsrun", "lifecycle"),
                         verdict(n <= 300) if n is not None else FAILED])
        size = sz.get("tsrun", (None,))[0]
        rows.append(["bin/tsrun ≤ 1 MB", f"{size:,} bytes" if size else "not built", verdict(size <= 1e6) if size else "–"])
        msize = [s for label, path, s, _ in sizes() if path.endswith("tsrun-minimal")]
        rows.append(["minimal build: size reported", f"{msize[0]:,} bytes" if msize and msize[0] else "not built", "–"])
        p.append(md_table(["target", "measured", "verdict"], rows, ["---", "---", "---"]))
        p.append("\nMB = 10^6 bytes (RSS: KiB × 1024). Ratios are of medians from this one run.\n")

    # ---- footnotes and caveats
    if footnotes:
        p.append("## Failures\n")
        for i, f in enumerate(footnotes, 1):
            p.append(f"[{i}] {f}  ")
        p.append("")
    p.append("## Caveats\n")
    p.append("- Shared, noisy VM: compare medians and ratios within one run, never absolute times "
             "across runs. Syscall counts are the stable figure.\n"
             "- All runtimes run in the same private mount namespace and cgroup view, under a "
             "subreaper, with state on tmpfs, one after another (hyperfine runs each command's "
             "runs back to back; `ORDER=reverse` exposes drift).\n"
             "- The lifecycle loop waits for the container to exit before delete, polling every "
             "0.2 ms with builtins; the `null` rows are that loop with /bin/true as the runtime.")
    if DETAIL_OUT:
        write_detail(S)
    print("\n".join(p))


def write_detail(S):
    out = [f"# Syscalls per verb: {META['date']}\n",
           f"Command: `{META['command']}`. One repeat (the first) per runtime; counts of "
           "syscall entries in `strace -f -ttt` traces, payload excluded.\n"]
    for who in LABELS + ["floor"]:
        rec = (S or {}).get(who)
        if not rec:
            continue
        phases = ("run",) if who == "floor" else ("create", "start", "poststart", "delete", "run")
        for ph in phases:
            rows = rec.get(ph) or []
            if not rows:
                continue
            st = rows[0]
            title = {"poststart": "init after start"}.get(ph, ph)
            out.append(f"## {who}: {title} ({st['total']} calls, {st['procs']} processes, {st['execs']} execs)\n")
            names = st["names"].most_common()
            out.append(", ".join(f"{n} {c}" for n, c in names) + "\n")
    with open(DETAIL_OUT, "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
