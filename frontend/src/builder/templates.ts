/** Starting points a user can load onto the canvas. Positions keep the canvas readable left to right. */
import type { StrategyGraph } from "../api/types";

export type Template = { key: string; name: string; description: string; graph: StrategyGraph };

export const ORIGINAL_RULE = "Enter on a 5% price drop from the 20-day moving average";

export const TEMPLATES: Template[] = [
  {
    key: "original",
    name: "5% below the 20-day MA",
    description: "Buy a 5% dip under the 20-day moving average; take profit at 7%, stop at 5%.",
    graph: {
      nodes: [
        { id: "entry", type: "entry_condition", meta: { rules: [ORIGINAL_RULE], combine: "all" }, position: { x: 40, y: 80 } },
        { id: "tp", type: "take_profit", meta: { target_pct: 7 }, position: { x: 360, y: 20 } },
        { id: "sl", type: "stop_loss", meta: { stop_pct: 5 }, position: { x: 360, y: 170 } },
      ],
    },
  },
  {
    key: "ma_crossover",
    name: "MA crossover",
    description: "Enter when the 10-day MA crosses above the 30-day MA; leave on the cross back down.",
    graph: {
      nodes: [
        { id: "entry", type: "entry_condition", meta: { rules: ["10-day MA crosses above 30-day MA"], combine: "all" }, position: { x: 40, y: 40 } },
        { id: "exit", type: "exit_condition", meta: { rules: ["10-day MA crosses below 30-day MA"], combine: "any" }, position: { x: 40, y: 220 } },
        { id: "sl", type: "stop_loss", meta: { stop_pct: 8 }, position: { x: 360, y: 120 } },
      ],
    },
  },
  {
    key: "rsi_reversion",
    name: "RSI reversion",
    description: "Buy when RSI(14) is oversold below 30, sell when it is overbought above 70.",
    graph: {
      nodes: [
        { id: "entry", type: "entry_condition", meta: { rules: ["RSI(14) below 30"], combine: "all" }, position: { x: 40, y: 40 } },
        { id: "exit", type: "exit_condition", meta: { rules: ["RSI(14) above 70"], combine: "any" }, position: { x: 40, y: 220 } },
        { id: "sl", type: "stop_loss", meta: { stop_pct: 10 }, position: { x: 360, y: 120 } },
      ],
    },
  },
  {
    key: "breakout",
    name: "Breakout",
    description: "Buy a close above the 20-day high; trail a 5% stop; leave below the 10-day low.",
    graph: {
      nodes: [
        { id: "entry", type: "entry_condition", meta: { rules: ["close above the 20-day high"], combine: "all" }, position: { x: 40, y: 40 } },
        { id: "exit", type: "exit_condition", meta: { rules: ["close below the 10-day low"], combine: "any" }, position: { x: 40, y: 220 } },
        { id: "trail", type: "trailing_stop", meta: { trail_pct: 5 }, position: { x: 360, y: 120 } },
      ],
    },
  },
];
