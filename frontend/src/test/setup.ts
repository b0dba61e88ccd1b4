import "@testing-library/jest-dom/vitest";
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";
import { clearRuleChecks } from "../builder/ruleChecks";

afterEach(() => {
  cleanup();
  clearRuleChecks(); // each test stubs its own server
});
