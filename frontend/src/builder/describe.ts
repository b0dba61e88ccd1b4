/**
 * A short human reading of a rule as the server parsed it (`parsed` of `POST /strategies/rules/validate`),
 * so a user sees what was understood, not just that something was.
 *
 * Example: the parse of "Enter on a 5% price drop from the 20-day moving average" reads
 * "close ≤ SMA(20) × 0.95"; "10-day MA crosses above 30-day MA" reads "SMA(10) crosses above SMA(30)";
 * "RSI(14) below 30 and close above the 200-day SMA" reads "(RSI(14) < 30) and (close > SMA(200))".
 * Node kinds it does not know are named by their `type`, so a new server kind never breaks the field.
 */

type Json = Record<string, unknown>;

const OPS: Record<string, string> = { mul: "×", add: "+", sub: "−", div: "÷", "<=": "≤", ">=": "≥" };

function indicatorName(ind: Json): string {
  const kind = String(ind.kind ?? "indicator");
  const args = [ind.period, ind.slow, ind.signal, ind.std].filter((x) => x !== null && x !== undefined);
  const src = ind.source && !["close", "high", "low"].includes(String(ind.source)) ? ` of ${String(ind.source)}` : "";
  return `${kind.toUpperCase()}${args.length ? `(${args.join(", ")})` : ""}${src}`;
}

function lagged(text: string, lag: unknown): string {
  return typeof lag === "number" && lag > 0 ? `${text} ${lag} bar${lag > 1 ? "s" : ""} ago` : text;
}

export function describeParsed(node: unknown, depth = 0): string {
  if (node === null || node === undefined) return "";
  if (typeof node === "number" || typeof node === "string") return String(node);
  if (typeof node !== "object" || depth > 12) return "…";
  const n = node as Json;
  const sub = (x: unknown) => describeParsed(x, depth + 1);
  switch (n.type) {
    case "compare":
      return `${sub(n.left)} ${OPS[String(n.op)] ?? String(n.op)} ${sub(n.right)}`;
    case "cross":
      return `${sub(n.left)} crosses ${String(n.direction ?? "")} ${sub(n.right)}`;
    case "price":
      return lagged(String(n.field ?? "price"), n.lag);
    case "indicator":
      return lagged(n.indicator && typeof n.indicator === "object" ? indicatorName(n.indicator as Json) : "indicator", n.lag);
    case "const":
      return String(n.value);
    case "arith":
      return `${sub(n.left)} ${OPS[String(n.op)] ?? String(n.op)} ${sub(n.right)}`;
    case "not":
      return `not (${sub(n.operand ?? n.condition ?? n.item)})`;
    case "all":
    case "any":
    case "and":
    case "or": {
      // The server's compound conditions are `all` / `any` of `items`: read them as and / or.
      const word = n.type === "all" || n.type === "and" ? "and" : "or";
      const items = (n.items ?? n.conditions ?? n.operands) as unknown[] | undefined;
      if (Array.isArray(items)) return items.map((x) => (items.length > 1 ? `(${sub(x)})` : sub(x))).join(` ${word} `);
      return `${sub(n.left)} ${word} ${sub(n.right)}`;
    }
    default:
      if (typeof n.description === "string") return n.description;
      return typeof n.type === "string" ? n.type.replace(/_/g, " ") : "";
  }
}
