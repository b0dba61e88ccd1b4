/**
 * The node canvas. Strategy nodes (the page's state) are the truth; React Flow nodes are derived from
 * them, and React Flow's changes (drag, select, delete) are mapped back. The graph has no edges in the
 * contract, so the drawn edges are implied: entry -> each exit/stop, sizing -> entry.
 */
import { memo, useCallback, useEffect, useMemo, type DragEvent } from "react";
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
import { nodeLabel } from "./schemaInfo";

export const DND_TYPE = "application/x-stratcrew-node";

type RFData = { node: StrategyNode };

const StrategyNodeView = memo(function StrategyNodeView({ data, selected }: NodeProps<Node<RFData>>) {
  const n = data.node;
  return (
    <div className={`sc-node sc-${n.type}${selected ? " selected" : ""}`} data-testid={`node-${n.id}`} data-nodetype={n.type}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="sc-node-title">{nodeLabel(n.type)}</div>
      <div className="sc-node-body">{nodeSummary(n)}</div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const nodeTypes = { strategy: StrategyNodeView };
const FIT = { maxZoom: 1.1, padding: 0.2 };

function impliedEdges(nodes: StrategyNode[]): Edge[] {
  const entries = nodes.filter((n) => n.type.endsWith("entry_condition")); // long and short entries
  const edges: Edge[] = [];
  for (const e of entries) {
    for (const n of nodes) {
      if (n.type.endsWith("entry_condition")) continue;
      const [source, target] = n.type === "position_sizing" ? [n.id, e.id] : [e.id, n.id];
      edges.push({ id: `${source}->${target}`, source, target, selectable: false, focusable: false, animated: n.type !== "position_sizing" });
    }
  }
  return edges;
}

type Props = {
  nodes: StrategyNode[];
  selectedId: string | null;
  onSelect: (id: string | null) => void;
  onNodesChange: (nodes: StrategyNode[]) => void;
  onDropType: (type: string, position: { x: number; y: number }) => void;
};

function CanvasInner({ nodes, selectedId, onSelect, onNodesChange, onDropType }: Props) {
  const { screenToFlowPosition, fitView } = useReactFlow();
  // Keep every node in view when nodes are added or removed (not on drags: that would fight the user).
  useEffect(() => {
    const t = setTimeout(() => void fitView(FIT), 30);
    return () => clearTimeout(t);
  }, [nodes.length, fitView]);
  const rfNodes = useMemo<Node<RFData>[]>(
    () =>
      nodes.map((n, i) => ({
        id: n.id,
        type: "strategy",
        position: n.position ?? { x: 40 + (i % 3) * 300, y: 40 + Math.floor(i / 3) * 150 },
        data: { node: n },
        selected: n.id === selectedId,
        ariaLabel: `${nodeLabel(n.type)}: ${nodeSummary(n)}`,
      })),
    [nodes, selectedId],
  );
  const edges = useMemo(() => impliedEdges(nodes), [nodes]);

  const handleChanges = useCallback(
    (changes: NodeChange<Node<RFData>>[]) => {
      for (const c of changes) {
        if (c.type === "select" && c.selected) onSelect(c.id);
      }
      const structural = changes.filter((c) => c.type === "position" || c.type === "remove");
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
    [rfNodes, nodes, onNodesChange, onSelect, selectedId],
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
    <div className="canvas" data-testid="canvas" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
      <ReactFlow
        nodes={rfNodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={handleChanges}
        onPaneClick={() => onSelect(null)}
        fitView
        fitViewOptions={FIT}
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
