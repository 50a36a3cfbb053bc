// The JSON tree produced by json/reader.ts.
export const enum Kind { Null, Bool, Number, String, Array, Object }

export class JValue {
  kind: Kind = Kind.Null;
  bool: bool = false;
  // Numbers keep their source text so 64-bit integers (rlimits, memory limits) stay exact.
  text: string = "";
  items: JValue[] = [];
  keys: string[] = [];

  static nul(): JValue { return new JValue(); }

  isNull(): bool { return this.kind == Kind.Null; }

  // Value of key in an object, or null when absent (or when this is not an object).
  get(key: string): JValue | null {
    const keys = this.keys;
    for (let i = 0, n = keys.length; i < n; i++) if (keys[i] == key) return this.items[i];
    return null;
  }

  kindName(): string {
    switch (this.kind) {
      case Kind.Null: return "null";
      case Kind.Bool: return "boolean";
      case Kind.Number: return "number";
      case Kind.String: return "string";
      case Kind.Array: return "array";
      default: return "object";
    }
  }
}
