/**
 * The values a parameter takes in a sweep: a range (start, stop, step; stop included) or a list. Shows how
 * many values it makes, refuses what the server would (a step of 0, stop below start, a value twice).
 */
import { useId, useState } from "react";
import { describeSpec, isRange, num, parseList, specCount, specProblem, type GridSpec } from "./grid";

export function RangeEditor(props: {
  title: string;
  /** The parameter's name; editable for a rule's number about to become a parameter. */
  name: string;
  nameEditable?: boolean;
  /** What is wrong with a typed name (taken, not a name), or null. */
  nameProblem?: (name: string) => string | null;
  initial: GridSpec;
  onApply: (name: string, spec: GridSpec) => void;
  onCancel: () => void;
  /** Extra actions (stop sweeping, back to a plain number). */
  children?: React.ReactNode;
}) {
  const { title, nameEditable, nameProblem, initial, onApply, onCancel, children } = props;
  const id = useId();
  const [name, setName] = useState(props.name);
  const [mode, setMode] = useState<"range" | "list">(isRange(initial) ? "range" : "list");
  const r = isRange(initial) ? initial : { start: Math.min(...initial), stop: Math.max(...initial), step: 1 };
  const [start, setStart] = useState(num(r.start));
  const [stop, setStop] = useState(num(r.stop));
  const [step, setStep] = useState(num(r.step));
  const [list, setList] = useState(isRange(initial) ? "" : initial.map(num).join(", "));

  const toNum = (t: string) => (t.trim() === "" ? NaN : Number(t));
  const spec: GridSpec = mode === "range" ? { start: toNum(start), stop: toNum(stop), step: toNum(step) } : parseList(list);
  const problem = (nameEditable ? nameProblem?.(name) : null) ?? specProblem(spec);

  function switchMode(next: "range" | "list") {
    // Carry the values over, so switching to a list starts from what the range held.
    if (next === "list" && !list && !specProblem(spec) && specCount(spec) <= 50 && isRange(spec)) {
      const values: number[] = [];
      for (let i = 0; i < specCount(spec); i++) values.push(Number((spec.start + i * spec.step).toFixed(10)));
      setList(values.map(num).join(", "));
    }
    setMode(next);
  }

  return (
    <div className="range-editor card" role="group" aria-labelledby={`${id}-title`} data-testid="range-editor">
      <h4 id={`${id}-title`}>{title}</h4>
      {nameEditable ? (
        <label>
          Parameter name
          <input value={name} onChange={(e) => setName(e.target.value.trim())} spellCheck={false} data-testid="range-name" />
        </label>
      ) : (
        <p className="small">
          Parameter <code data-testid="range-name-fixed">{name}</code>
        </p>
      )}
      <div className="row" role="radiogroup" aria-label="Values as">
        <label className="inline">
          <input type="radio" name={`${id}-mode`} checked={mode === "range"} onChange={() => switchMode("range")} data-testid="range-mode-range" />
          a range
        </label>
        <label className="inline">
          <input type="radio" name={`${id}-mode`} checked={mode === "list"} onChange={() => switchMode("list")} data-testid="range-mode-list" />
          a list
        </label>
      </div>
      {mode === "range" ? (
        <div className="row range-fields">
          <label>
            Start
            <input type="number" step="any" value={start} onChange={(e) => setStart(e.target.value)} data-testid="range-start" />
          </label>
          <label title="The last value, included when the steps land on it">
            Stop
            <input type="number" step="any" value={stop} onChange={(e) => setStop(e.target.value)} data-testid="range-stop" />
          </label>
          <label>
            Step
            <input type="number" step="any" min={0} value={step} onChange={(e) => setStep(e.target.value)} data-testid="range-step" />
          </label>
        </div>
      ) : (
        <label>
          Values (comma separated)
          <input value={list} onChange={(e) => setList(e.target.value)} placeholder="3, 5, 8" data-testid="range-list" />
        </label>
      )}
      {problem ? (
        <p className="error small" role="alert" data-testid="range-problem">
          {problem}
        </p>
      ) : (
        <p className="muted small" data-testid="range-count">
          {describeSpec(spec)}
        </p>
      )}
      <div className="row">
        <button type="button" className="primary" disabled={!!problem} onClick={() => onApply(name, spec)} data-testid="range-apply">
          Sweep these values
        </button>
        <button type="button" onClick={onCancel} data-testid="range-cancel">
          Cancel
        </button>
        {children}
      </div>
    </div>
  );
}
