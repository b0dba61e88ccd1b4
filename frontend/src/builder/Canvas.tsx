/**
 * The node canvas. Strategy nodes (the page's state) are the truth; React Flow nodes are derived from
 * them, and React Flow's changes (drag, select, delete) are mapped back. The graph has no edges in the
 * contract, so the drawn edges are implied: entry -> each exit/stop, sizing -> entry, and a custom
 * indicator -> each condition whose rules name it.
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import {
  Background,
  Controls,
  Handle,
  Position,
  ReactFlow,
  ReactFlowProvider,
  applyNodeChanges,
  useReactFlow,
  type Edge,
  type Node,
  type NodeChange,
  type NodeProps,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import type { StrategyNode } from "../api/types";
import { nodeSummary } from "./NodeInspector";
import { customDefs, customsNamedIn } from "./ruleChecks";
import { nodeLabel } from "./schemaInfo";
import type { NodeIssue } from "./validate";

export const DND_TYPE = "application/x-stratcrew-node";

type RFData = { node: StrategyNode; issues: NodeIssue[] };

const StrategyNodeView = memo(function StrategyNodeView({ data, selected }: NodeProps<Node<RFData>>) {
  const n = data.node;
  const bad = data.issues.length > 0;
  return (
    <div
      className={`sc-node sc-${n.type}${selected ? " selected" : ""}${bad ? " invalid" : ""}`}
      data-testid={`node-${n.id}`}
      data-nodetype={n.type}
      data-invalid={bad ? "true" : undefined}
      title={bad ? data.issues.map((i) => i.message).join("\n") : undefined}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="sc-node-title">
        {nodeLabel(n.type)}
        {bad && (
          <span className="sc-node-badge" aria-label={`${data.issues.length} problem(s)`}>
            !
          </span>
        )}
      </div>
      <div className="sc-node-body">{nodeSummary(n)}</div>
      {bad && (
        <div className="sc-node-issue" data-testid={`node-issue-${n.id}`}>
          {data.issues[0].message}
        </div>
      )}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const nodeTypes = { strategy: StrategyNodeView };
// A phone's canvas is ~370 px wide: let the view zoom out far enough to show every node of a wide graph.
const MIN_ZOOM = 0.2;
const NARROW_PX = 560;
const FIT = { maxZoom: 1.1, minZoom: MIN_ZOOM, padding: 0.1 };

function impliedEdges(nodes: StrategyNode[]): Edge[] {
  const entries = nodes.filter((n) => n.type === "entry_condition" || n.type === "short_entry_condition");
  const edges: Edge[] = [];
  for (const e of entries) {
    for (const n of nodes) {
      if (n.type.endsWith("entry_condition") || n.type === "custom_indicator") continue;
      const [source, target] = n.type === "position_sizing" ? [n.id, e.id] : [e.id, n.id];
      edges.push({ id: `${source}->${target}`, source, target, selectable: false, focusable: false, animated: n.type !== "position_sizing" });
    }
  }
  const customs = customDefs(nodes);
  for (const n of nodes) {
    if (!n.type.endsWith("_condition")) continue;
    const used = new Set((n.meta.rules ?? []).flatMap((r) => customsNamedIn(r, customs)));
    for (const source of used) edges.push({ id: `${source}->${n.id}`, source, target: n.id, selectable: false, focusable: false });
  }
  return edges;
}

type Props = {
  issues: Map<string, NodeIssue[]>;
  nodes: StrategyNode[];
  selectedId: string | null;
  onSelect: (id: string | null) => void;
  onNodesChange: (nodes: StrategyNode[]) => void;
  onDropType: (type: string, position: { x: number; y: number }) => void;
};

const NO_ISSUES: NodeIssue[] = [];

function CanvasInner({ issues, nodes, selectedId, onSelect, onNodesChange, onDropType }: Props) {
  const { screenToFlowPosition, fitView } = useReactFlow();
  const box = useRef<HTMLDivElement>(null);
  // On a phone the drawn positions (laid out left to right for a desktop) would shrink every node to an
  // unreadable size: a narrow canvas shows the nodes as a column instead, without moving them for real.
  const [narrow, setNarrow] = useState(false);
  // Keep every node in view when nodes are added or removed (not on drags: that would fight the user),
  // and when the canvas changes size (a phone turned, a panel opened): no node is left cut off.
  useEffect(() => {
    const t = setTimeout(() => void fitView(FIT), 30);
    return () => clearTimeout(t);
  }, [nodes.length, fitView]);
  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    let t: ReturnType<typeof setTimeout> | undefined;
    const ro = new ResizeObserver(() => {
      setNarrow(el.clientWidth < NARROW_PX);
      clearTimeout(t);
      t = setTimeout(() => void fitView(FIT), 60);
    });
    ro.observe(el);
    return () => {
      clearTimeout(t);
      ro.disconnect();
    };
  }, [fitView]);
  useEffect(() => {
    const t = setTimeout(() => void fitView(FIT), 30);
    return () => clearTimeout(t);
  }, [narrow, fitView]);
  const rfNodes = useMemo<Node<RFData>[]>(
    () =>
      nodes.map((n, i) => ({
        id: n.id,
        type: "strategy",
        position: narrow ? { x: 0, y: i * 110 } : (n.position ?? { x: 40 + (i % 3) * 300, y: 40 + Math.floor(i / 3) * 150 }),
        data: { node: n, issues: issues.get(n.id) ?? NO_ISSUES },
        selected: n.id === selectedId,
        ariaLabel: `${nodeLabel(n.type)}: ${nodeSummary(n)}`,
      })),
    [nodes, selectedId, issues, narrow],
  );
  const edges = useMemo(() => impliedEdges(nodes), [nodes]);

  const handleChanges = useCallback(
    (changes: NodeChange<Node<RFData>>[]) => {
      for (const c of changes) {
        if (c.type === "select" && c.selected) onSelect(c.id);
      }
      const structural = changes.filter((c) => (c.type === "position" && !narrow) || c.type === "remove");
      if (!structural.length) return;
      const next = applyNodeChanges(structural, rfNodes);
      const byId = new Map(nodes.map((n) => [n.id, n]));
      onNodesChange(
        next.flatMap((rf) => {
          const n = byId.get(rf.id);
          return n ? [{ ...n, position: { x: Math.round(rf.position.x), y: Math.round(rf.position.y) } }] : [];
        }),
      );
      if (changes.some((c) => c.type === "remove" && c.id === selectedId)) onSelect(null);
    },
    [rfNodes, nodes, onNodesChange, onSelect, selectedId, narrow],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      e.preventDefault();
      const type = e.dataTransfer.getData(DND_TYPE);
      if (!type) return;
      onDropType(type, screenToFlowPosition({ x: e.clientX, y: e.clientY }));
    },
    [onDropType, screenToFlowPosition],
  );

  return (
    <div className="canvas" data-testid="canvas" ref={box} onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
      <ReactFlow
        nodes={rfNodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={handleChanges}
        onPaneClick={() => onSelect(null)}
        fitView
        fitViewOptions={FIT}
        minZoom={MIN_ZOOM}
        nodesDraggable={!narrow}
        nodesConnectable={false}
        deleteKeyCode={["Delete"]}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} />
        <Controls showInteractive={false} />
      </ReactFlow>
      {nodes.length === 0 && (
        <div className="canvas-empty" data-testid="canvas-empty">
          Empty strategy: add nodes from the palette or start from a template.
        </div>
      )}
    </div>
  );
}

export function Canvas(props: Props) {
  return (
    <ReactFlowProvider>
      <CanvasInner {...props} />
    </ReactFlowProvider>
  );
}
