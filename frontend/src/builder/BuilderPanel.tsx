/** Palette + canvas + inspector: everything that edits the node list of one strategy. */
import { useCallback } from "react";
import type { NodeMeta, StrategyNode } from "../api/types";
import { Canvas, DND_TYPE } from "./Canvas";
import { IndicatorLibrary } from "./IndicatorLibrary";
import { customDefs } from "./ruleChecks";
import { NodeInspector, nodeSummary } from "./NodeInspector";
import { defaultMeta, nodeLabel, type SchemaInfo } from "./schemaInfo";
import { TEMPLATES } from "./templates";
import type { NodeIssue } from "./validate";

const ID_PREFIX: Record<string, string> = {
  entry_condition: "entry",
  exit_condition: "exit",
  short_entry_condition: "short",
  short_exit_condition: "cover",
  take_profit: "tp",
  stop_loss: "sl",
  trailing_stop: "trail",
  position_sizing: "sizing",
  custom_indicator: "custom",
};

export function newNodeId(type: string, nodes: StrategyNode[]): string {
  const base = ID_PREFIX[type] ?? type;
  const taken = new Set(nodes.map((n) => n.id));
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}_${i}`)) return `${base}_${i}`;
}

export function BuilderPanel(props: {
  nodes: StrategyNode[];
  setNodes: (nodes: StrategyNode[]) => void;
  selectedId: string | null;
  setSelectedId: (id: string | null) => void;
  info: SchemaInfo;
  schemaError: string | null;
  issues: Map<string, NodeIssue[]>;
}) {
  const { nodes, setNodes, selectedId, setSelectedId, info, schemaError, issues } = props;
  const selected = nodes.find((n) => n.id === selectedId) ?? null;
  const customs = customDefs(nodes);

  const addNode = useCallback(
    (type: string, position?: { x: number; y: number }) => {
      const id = newNodeId(type, nodes);
      const pos = position ?? { x: 40 + (nodes.length % 3) * 300, y: 40 + Math.floor(nodes.length / 3) * 150 };
      const meta = defaultMeta(type) as NodeMeta;
      // A custom indicator starts named after its node (unique in the graph), so rules can name it at once.
      if (type === "custom_indicator") meta.name = id;
      setNodes([...nodes, { id, type, meta, position: pos }]);
      setSelectedId(id);
    },
    [nodes, setNodes, setSelectedId],
  );

  const updateMeta = (id: string, meta: NodeMeta) => setNodes(nodes.map((n) => (n.id === id ? { ...n, meta } : n)));
  const removeNode = (id: string) => {
    setNodes(nodes.filter((n) => n.id !== id));
    setSelectedId(null);
  };

  return (
    <div className="builder" data-testid="builder">
      <aside className="palette" aria-label="Palette">
        <h3>Add a node</h3>
        {schemaError && <p className="error small">Node schema unavailable ({schemaError}); using the default types.</p>}
        <div className="palette-items">
          {info.nodeTypes.map((t) => (
            <button
              type="button"
              key={t}
              draggable
              className={`palette-item sc-${t}`}
              onDragStart={(e) => {
                e.dataTransfer.setData(DND_TYPE, t);
                e.dataTransfer.effectAllowed = "move";
              }}
              onClick={() => addNode(t)}
              data-testid={`palette-${t}`}
              title="Click to add, or drag onto the canvas"
            >
              + {nodeLabel(t)}
            </button>
          ))}
        </div>
        <h3>Templates</h3>
        <div className="palette-items">
          {TEMPLATES.map((t) => (
            <button
              type="button"
              key={t.key}
              onClick={() => {
                if (nodes.length && !window.confirm(`Replace the canvas with the “${t.name}” template?`)) return;
                setNodes(structuredClone(t.graph.nodes));
                setSelectedId(null);
              }}
              data-testid={`template-${t.key}`}
              title={t.description}
            >
              {t.name}
            </button>
          ))}
        </div>
        <h3>Nodes</h3>
        {nodes.length === 0 ? (
          <p className="muted small">None yet.</p>
        ) : (
          <ul className="node-list">
            {nodes.map((n) => (
              <li key={n.id}>
                <button
                  type="button"
                  className={n.id === selectedId ? "link active" : "link"}
                  onClick={() => setSelectedId(n.id)}
                  aria-pressed={n.id === selectedId}
                  data-testid={`select-${n.id}`}
                >
                  {issues.has(n.id) && <span className="issue-dot" aria-label="has a problem" />}
                  {nodeLabel(n.type)} <span className="muted small">{nodeSummary(n)}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        <IndicatorLibrary />
      </aside>
      <Canvas
        issues={issues}
        nodes={nodes}
        selectedId={selectedId}
        onSelect={setSelectedId}
        onNodesChange={setNodes}
        onDropType={(t, p) => addNode(t, p)}
      />
      <div className="inspector-wrap">
        {selected ? (
          <NodeInspector
            key={selected.id}
            node={selected}
            info={info}
            onChange={(m) => updateMeta(selected.id, m)}
            onDelete={() => removeNode(selected.id)}
            customs={customs}
          />
        ) : (
          <p className="muted inspector-empty">Select a node to edit it.</p>
        )}
      </div>
    </div>
  );
}
