// The ambient typings for bpmn-moddle and moddle-xml must be part of every program that compiles
// this file (the package build and the repository's test typecheck), hence a reference, not an import.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../vendor.d.ts" />
/**
 * Typed reading of the bpmn-moddle object tree. Moddle objects are dynamic (any extension can
 * add properties), so we read them through these narrow helpers instead of casting everywhere.
 */
import { BpmnModdle } from 'bpmn-moddle';
import { Reader } from 'moddle-xml';
import { SaxesParser } from 'saxes';
import zeebeSchema from 'zeebe-bpmn-moddle/resources/zeebe.json' with { type: 'json' };

export interface ModdleElement {
  $type: string;
  id?: string;
  name?: string;
  [key: string]: unknown;
}

export interface ModdleParseResult {
  rootElement: ModdleElement;
  warnings: { message: string; element?: ModdleElement }[];
  references: unknown[];
  elementsById: Record<string, ModdleElement>;
}

export function isModdleElement(value: unknown): value is ModdleElement {
  return typeof value === 'object' && value !== null && typeof (value as { $type?: unknown }).$type === 'string';
}

export function str(element: ModdleElement | undefined, key: string): string | undefined {
  const value = element?.[key];
  return typeof value === 'string' ? value : undefined;
}

export function bool(element: ModdleElement | undefined, key: string): boolean | undefined {
  const value = element?.[key];
  return typeof value === 'boolean' ? value : undefined;
}

export function list(element: ModdleElement | undefined, key: string): ModdleElement[] {
  const value = element?.[key];
  return Array.isArray(value) ? value.filter(isModdleElement) : [];
}

export function child(element: ModdleElement | undefined, key: string): ModdleElement | undefined {
  const value = element?.[key];
  return isModdleElement(value) ? value : undefined;
}

/** Extension elements of one type, e.g. `zeebe:TaskDefinition`. */
export function extensions(element: ModdleElement | undefined, type: string): ModdleElement[] {
  return list(child(element, 'extensionElements'), 'values').filter((value) => value.$type === type);
}

export function extension(element: ModdleElement | undefined, type: string): ModdleElement | undefined {
  return extensions(element, type)[0];
}

/** The text of a bpmn:FormalExpression child (conditions, timers, completion conditions). */
export function expressionBody(element: ModdleElement | undefined, key: string): string | undefined {
  const expression = child(element, key);
  if (!expression) return undefined;
  const body = str(expression, 'body');
  return body === undefined ? '' : body;
}

export class MalformedXmlError extends Error {
  override readonly name = 'MalformedXmlError';
}

/**
 * moddle's SAX parser is lenient (an unclosed or mismatched tag goes unnoticed), so the
 * document is first checked for well-formedness by saxes, a conformant XML parser.
 */
function checkWellFormed(xml: string): void {
  const parser = new SaxesParser({ xmlns: true });
  let first: string | undefined;
  let rootName: string | undefined;
  parser.on('error', (error) => {
    first ??= error.message;
  });
  parser.on('opentag', (tag) => {
    rootName ??= `${tag.uri}|${tag.local}`;
  });
  parser.write(xml).close();
  if (first) throw new MalformedXmlError(first);
  if (rootName !== `${BPMN_MODEL_NS}|definitions`) {
    throw new MalformedXmlError(`the root element must be bpmn:definitions in namespace ${BPMN_MODEL_NS}`);
  }
}

const BPMN_MODEL_NS = 'http://www.omg.org/spec/BPMN/20100524/MODEL';

interface RootHandler {
  element?: ModdleElement;
  context?: { warnings: ModdleParseResult['warnings']; references: unknown[]; elementsById: Record<string, ModdleElement> };
}

/**
 * Parses BPMN synchronously. bpmn-moddle only offers a promise, but its reader (moddle-xml) does
 * all the work inside the promise executor and leaves the result on the root handler, so we
 * drive the reader ourselves, exactly as bpmn-moddle does (lax mode), and read the handler.
 */
export function parseBpmn(xml: string): ModdleParseResult {
  checkWellFormed(xml);
  const moddle = new BpmnModdle({ zeebe: zeebeSchema });
  const reader = new Reader({ model: moddle, lax: true });
  const rootHandler = reader.handler('bpmn:Definitions') as RootHandler;
  let failure: unknown;
  // Settles synchronously; the catch only keeps a failed parse from surfacing as unhandled.
  reader.fromXML(xml, rootHandler).catch((error: unknown) => {
    failure = error;
  });
  const context = rootHandler.context;
  if (!rootHandler.element || !context) {
    const first = context?.warnings[0]?.message ?? (failure instanceof Error ? failure.message : 'no bpmn:definitions root element');
    throw new MalformedXmlError(first.split('\n')[0] ?? first);
  }
  return { rootElement: rootHandler.element, warnings: context.warnings, references: context.references, elementsById: context.elementsById };
}
