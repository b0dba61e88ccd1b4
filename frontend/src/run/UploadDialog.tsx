/**
 * Bring your own bars: pick a CSV or Parquet file, see what the server reads in it (the columns it found
 * and what each is used as, the first rows, the span, and the validation report: repairs and warnings)
 * before keeping it (`POST /data/upload/preview`, then `POST /data/upload`).
 */
import { useEffect, useRef, useState } from "react";
import { api } from "../api/endpoints";
import { errorText } from "../api/client";
import type { UploadPreview } from "../api/types";
import { formatCount, formatDate, formatPrice } from "../format";
import { TIMEFRAME_LABELS } from "./dataLimits";

const COLUMNS = ["timestamp", "open", "high", "low", "close", "volume"] as const;

export function UploadDialog(props: { symbol: string; onClose: () => void; onUploaded: (symbol: string) => void }) {
  const { onClose, onUploaded } = props;
  const [symbol, setSymbol] = useState(props.symbol);
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<UploadPreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<"preview" | "upload" | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal?.();
  }, []);

  useEffect(() => {
    setPreview(null);
    setError(null);
    if (!file || !symbol.trim()) return;
    let live = true;
    setBusy("preview");
    api.uploadPreview(symbol.trim(), file).then(
      (p) => live && setPreview(p),
      (e: unknown) => live && setError(errorText(e)),
    ).finally(() => live && setBusy(null));
    return () => {
      live = false;
    };
  }, [file, symbol]);

  async function keep() {
    if (!file) return;
    setBusy("upload");
    setError(null);
    try {
      const row = await api.upload(symbol.trim(), file);
      onUploaded(row.symbol);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  }

  const used = new Map(Object.entries(preview?.columns ?? {}).map(([target, source]) => [source, target]));
  return (
    <dialog ref={dialog} className="dialog upload-dialog" aria-labelledby="upload-title" data-testid="upload-dialog" onCancel={onClose}>
      <h3 id="upload-title">Upload market data</h3>
      <p className="muted small">
        A CSV or Parquet file with a date or timestamp column and open, high, low, close (and volume). It stays yours: other users do not see it.
      </p>
      <div className="row">
        <label>
          Symbol
          <input value={symbol} onChange={(e) => setSymbol(e.target.value.toUpperCase())} maxLength={40} data-testid="upload-symbol" />
        </label>
        <label>
          File
          <input type="file" accept=".csv,.txt,.parquet,.pq" onChange={(e) => setFile(e.target.files?.[0] ?? null)} data-testid="upload-file" />
        </label>
      </div>
      {busy === "preview" && <p className="muted" role="status">Reading the file…</p>}
      {error && (
        <p className="error" role="alert" data-testid="upload-error">
          {error}
        </p>
      )}
      {preview && (
        <div className="upload-preview" data-testid="upload-preview">
          <p data-testid="upload-summary">
            <strong>{formatCount(preview.rows)}</strong> {TIMEFRAME_LABELS[preview.interval] ?? preview.interval} bars of {preview.symbol}, {formatDate(preview.first_bar)} → {formatDate(preview.last_bar)}
          </p>
          <h4>Columns found</h4>
          <ul className="columns" data-testid="upload-columns">
            {preview.source_columns.map((c) => (
              <li key={c} className={used.has(c) ? "used" : "ignored"}>
                <code>{c}</code> {used.has(c) ? <>→ {used.get(c)}</> : <span className="muted">(ignored)</span>}
              </li>
            ))}
          </ul>
          <h4>First rows, as they will be stored</h4>
          <div className="table-wrap">
            <table data-testid="upload-head">
              <thead>
                <tr>
                  {COLUMNS.map((c) => (
                    <th key={c} className={c === "timestamp" ? "" : "num"}>
                      {c}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.head.map((row, i) => (
                  <tr key={i}>
                    {COLUMNS.map((c) => (
                      <td key={c} className={c === "timestamp" ? "" : "num"}>
                        {c === "timestamp" ? formatDate(String(row[c])) : formatPrice(row[c] as number)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h4>Validation report</h4>
          {preview.notes.length ? (
            <ul className="notes" data-testid="upload-notes">
              {preview.notes.map((n, i) => (
                <li key={i}>{n}</li>
              ))}
            </ul>
          ) : (
            <p className="ok" data-testid="upload-notes">No repairs were needed.</p>
          )}
        </div>
      )}
      <div className="row dialog-actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="primary" onClick={keep} disabled={!preview || busy !== null} data-testid="upload-keep">
          {busy === "upload" ? "Uploading…" : `Upload ${symbol || "file"}`}
        </button>
      </div>
    </dialog>
  );
}
