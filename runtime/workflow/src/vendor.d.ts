// bpmn-moddle 10 ships element typings under `bpmn-moddle/types` but none for its entry point,
// which NodeNext resolution needs. We only construct the moddle and call fromXML; its element
// tree is read through the narrow helpers in compile/moddle.ts.
declare module 'bpmn-moddle' {
  export type Definitions = unknown;
  export class BpmnModdle {
    constructor(packages?: Record<string, unknown>, options?: Record<string, unknown>);
    fromXML(xml: string, typeName?: string, options?: Record<string, unknown>): Promise<unknown>;
  }
  export default BpmnModdle;
}

// moddle-xml ships no typings. compile/moddle.ts uses its Reader directly so that parsing is
// synchronous (the Reader parses inside its promise executor and keeps the result on the handler).
declare module 'moddle-xml' {
  export class Reader {
    constructor(options: { model: unknown; lax?: boolean });
    handler(typeName: string): unknown;
    fromXML(xml: string, rootHandler: unknown): Promise<unknown>;
  }
}
