// poststart and poststop hooks outlive `create`: they are kept in state.json.
import { JsonWriter } from "../json/writer";
import { JValue, Kind } from "../json/value";
import { Hook } from "../spec/model";

export function writeHooks(w: JsonWriter, key: string, hooks: Hook[]): void {
  w.key(key).beginArray();
  for (let i = 0; i < hooks.length; i++) {
    const h = hooks[i];
    w.beginObject().kstr("path", h.path).kstrs("args", h.args).kstrs("env", h.env);
    if (h.hasTimeout) w.knum("timeout", h.timeout);
    w.endObject();
  }
  w.endArray();
}

function strings(v: JValue | null): string[] {
  const out: string[] = [];
  if (v == null) return out;
  for (let i = 0; i < v.items.length; i++) out.push(v.items[i].text);
  return out;
}

export function readHooks(v: JValue | null): Hook[] {
  const out: Hook[] = [];
  if (v == null || v.kind != Kind.Array) return out;
  for (let i = 0; i < v.items.length; i++) {
    const o = v.items[i];
    const h = new Hook();
    const p = o.get("path");
    h.path = p != null ? p.text : "";
    h.args = strings(o.get("args"));
    h.env = strings(o.get("env"));
    const t = o.get("timeout");
    if (t != null) { h.hasTimeout = true; h.timeout = I32.parseInt(t.text); }
    out.push(h);
  }
  return out;
}
