/**
 * The code of an execution: the generated VectorBT source (read-only), the spec as the analyzer
 * understood it, and an editable copy that can be validated against the sandbox's AST policy (each
 * violation marked at its line) and run as edited code. Loaded lazily: CodeMirror is the heavy part.
 */
import { useEffect, useMemo, useState } from "react";
import CodeMirror, { EditorView } from "@uiw/react-codemirror";
import { python } from "@codemirror/lang-python";
import { json } from "@codemirror/lang-json";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { api } from "../api/endpoints";
import { ApiError, errorText } from "../api/client";
import type { Execution, Violation } from "../api/types";

/** Map server violations (1-based line, 0-based col) onto document offsets for CodeMirror. */
export function violationDiagnostics(doc: string, violations: Violation[]): Diagnostic[] {
  const lines = doc.split("\n");
  const starts: number[] = [];
  let off = 0;
  for (const l of lines) {
    starts.push(off);
    off += l.length + 1;
  }
  return violations.map((v) => {
    const li = Math.min(Math.max(1, v.line || 1), lines.length) - 1;
    const from = starts[li] + Math.min(Math.max(0, v.col || 0), lines[li].length);
    return { from, to: starts[li] + lines[li].length, severity: "error", message: v.message, source: `policy: ${v.rule}` };
  });
}

export default function CodePanel(props: { execution: Execution | null; onRunCode: (code: string) => void; running: boolean }) {
  const { execution, onRunCode, running } = props;
  // The generated code and the user's edit stay apart: "Generated code" is always what the strategy
  // compiles to, and "Reset to generated" goes back to it even after an edited run.
  const [code, setCode] = useState<string | null>(null);
  const [submitted, setSubmitted] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [edited, setEdited] = useState<string>("");
  const [view, setView] = useState<EditorView | null>(null);
  const [check, setCheck] = useState<{ ok: boolean; violations: Violation[] } | null>(null);
  const [checkError, setCheckError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  const execId = execution?.id ?? null;
  useEffect(() => {
    if (!execId) return;
    let live = true;
    setLoadError(null);
    setCode(null);
    setSubmitted(null);
    api.executionCode(execId).then(
      (c) => {
        if (!live) return;
        setCode(c.generated_code ?? "");
        setSubmitted(c.submitted_code ?? null);
        setEdited(c.submitted_code ?? c.generated_code ?? c.code);
      },
      (e: unknown) => {
        if (!live) return;
        if (e instanceof ApiError && (e.status === 409 || e.status === 404) && execution?.generated_code) {
          setCode(execution.generated_code);
          setEdited(execution.generated_code);
        } else setLoadError(errorText(e));
      },
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [execId, execution?.status]);

  const spec = execution?.agent_insights?.spec;
  const specText = useMemo(() => (spec == null ? "" : JSON.stringify(spec, null, 2)), [spec]);
  const pyExt = useMemo(() => [python()], []);
  const editExt = useMemo(() => [python(), lintGutter()], []);
  const jsonExt = useMemo(() => [json()], []);

  // Markers are stale once the text changes; clear them rather than point at the wrong lines.
  const onEdit = (v: string) => {
    setEdited(v);
    if (check) {
      setCheck(null);
      view?.dispatch(setDiagnostics(view.state, []));
    }
  };

  async function validate() {
    setChecking(true);
    setCheckError(null);
    try {
      const res = await api.validateCode(edited);
      setCheck(res);
      if (view) view.dispatch(setDiagnostics(view.state, violationDiagnostics(edited, res.violations)));
    } catch (e) {
      setCheckError(errorText(e));
    } finally {
      setChecking(false);
    }
  }

  if (!execution) return <p className="muted card" data-testid="code-empty">Run the strategy to see the code it becomes.</p>;
  if (loadError) return <p className="error card" role="alert">{loadError}</p>;
  if (code === null)
    return (
      <p className="muted card" role="status">
        {["queued", "analyzing", "generating_code"].includes(execution.status) ? "The code is being generated…" : "Loading the code…"}
      </p>
    );

  return (
    <div className="code-panel" data-testid="code-panel">
      <section className="card">
        <h3>Generated code</h3>
        {code ? (
          <div className="editor" data-testid="generated-code">
            <CodeMirror value={code} extensions={pyExt} editable={false} readOnly basicSetup={{ foldGutter: false }} aria-label="Generated code" />
          </div>
        ) : (
          <p className="muted" data-testid="generated-missing">
            This run recorded no generated code (its rules could not be compiled); it ran the edited code below.
          </p>
        )}
      </section>
      {submitted !== null && (
        <section className="card">
          <h3>
            Edited code <span className="tag">this is what ran</span>
          </h3>
          <div className="editor" data-testid="submitted-code">
            <CodeMirror value={submitted} extensions={pyExt} editable={false} readOnly basicSetup={{ foldGutter: false }} aria-label="Edited code that ran" />
          </div>
        </section>
      )}
      <section className="card">
        <h3>Spec (as the analyzer understood the strategy)</h3>
        {specText ? (
          <div className="editor small-editor" data-testid="spec">
            <CodeMirror value={specText} extensions={jsonExt} editable={false} readOnly basicSetup={{ foldGutter: true }} />
          </div>
        ) : (
          <p className="muted">No spec was recorded for this execution.</p>
        )}
        {execution.agent_insights?.indicators_used && (
          <p className="small">Indicators: {execution.agent_insights.indicators_used.join(", ")}</p>
        )}
      </section>
      <section className="card">
        <h3>Edit and run</h3>
        <p className="muted small">Edit a copy of the code. Validation checks it against the sandbox policy.</p>
        <div className="editor" data-testid="edit-code">
          <CodeMirror
            value={edited}
            extensions={editExt}
            onChange={onEdit}
            onCreateEditor={(v) => setView(v)}
            aria-label="Editable code"
          />
        </div>
        <div className="row">
          <button type="button" onClick={validate} disabled={checking} data-testid="validate-code">
            {checking ? "Validating…" : "Validate"}
          </button>
          <button type="button" className="primary" onClick={() => onRunCode(edited)} disabled={running} data-testid="run-edited">
            Run edited code
          </button>
          <button type="button" onClick={() => onEdit(code)} disabled={!code || edited === code} data-testid="reset-code">
            Reset to generated
          </button>
        </div>
        {checkError && <p className="error" role="alert">{checkError}</p>}
        {check && check.ok && check.violations.length === 0 && (
          <p className="ok" data-testid="code-ok">✓ The code passes the policy.</p>
        )}
        {check && check.violations.length > 0 && (
          <ul className="violations" role="alert" data-testid="violations">
            {check.violations.map((v, i) => (
              <li key={i} data-testid="violation" title={`policy rule: ${v.rule}`}>
                <strong>
                  Line {v.line}
                  {v.col ? `, column ${v.col + 1}` : ""}:
                </strong>{" "}
                {v.message}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
