/**
 * Resolves the FHIRPath expressions used by FHIR Patch to *locations* in a resource's JSON (container,
 * property, array index) rather than to values, so that operations can change what they select. Parsing and
 * predicates (`where(...)`) are @medplum/core's; navigation is typed by the R4 definitions so choice types and
 * list-ness are known.
 */
import {
  AsAtom,
  type Atom,
  DotAtom,
  FhirPathAtom,
  FunctionAtom,
  getElementDefinition,
  IndexerAtom,
  type InternalSchemaElement,
  LiteralAtom,
  parseFhirPath,
  SymbolAtom,
  type TypedValue,
  toJsBoolean,
  tryGetDataType,
} from '@medplum/core';
import { PatchError, refusePrototypeKey } from './patch-error.js';

/** One element of a resource: its value, FHIR type, and where it sits in its container. */
export interface Location {
  value: unknown;
  /** FHIR type code: 'Patient', 'HumanName', 'PatientContact' (backbone), 'date', ... */
  type: string;
  /** Definition of the property holding this value; absent for the resource root. */
  element?: InternalSchemaElement;
  parent?: Location;
  /** JSON property of `parent.value` holding this value (for choice types, e.g. 'valueQuantity'). */
  key?: string;
  /** Position in the array `parent.value[key]` when the property repeats. */
  index?: number;
}

/** The list a FHIR Patch insert/move path names: its single container and the (repeating) property. */
export interface ListLocation {
  container: Location;
  key: string;
  element?: InternalSchemaElement;
}

/** Type of values found under a type without definitions (a custom resource): navigated by JSON only. */
const UNTYPED = '(untyped)';

/** The root location of a resource. */
export function rootLocation(resource: Record<string, unknown>): Location {
  return { value: resource, type: String(resource.resourceType) };
}

/** Every location `expression` selects in the resource at `root`, in document order. */
export function resolveLocations(root: Location, expression: string): Location[] {
  return new Evaluator(root, expression).eval(parse(expression), [root]);
}

/** The list named by an insert/move path (`X.name`), which may be empty or absent. */
export function resolveList(root: Location, expression: string): ListLocation {
  const ast = parse(expression);
  const evaluator = new Evaluator(root, expression);
  let containers: Location[];
  let name: string;
  if (ast instanceof DotAtom && ast.right instanceof SymbolAtom) {
    containers = evaluator.eval(ast.left, [root]);
    name = ast.right.name;
  } else if (ast instanceof SymbolAtom && ast.name !== root.type) {
    containers = [root];
    name = ast.name;
  } else {
    throw new PatchError(`Path ${expression} does not name a list (expected "<path>.<element>")`, expression);
  }
  const container = single(containers, expression);
  const element = elementOf(container.type, name, expression);
  if (element && !element.isArray) throw new PatchError(`Path ${expression} is not a list`, expression);
  return { container, key: name, element };
}

/** The one location in `locations`, or a PatchError naming `expression` when there are none or several. */
export function single(locations: Location[], expression: string, action?: string): Location {
  const when = action ? ` ${action}` : '';
  if (locations.length === 0) throw new PatchError(`No content found at ${expression}${when}`, expression);
  if (locations.length > 1) {
    throw new PatchError(
      `${expression} matches ${locations.length} elements${when}; it must match exactly one`,
      expression,
    );
  }
  return locations[0];
}

/** The definition of property `name` of type `type`; undefined when the type is unknown (no definition). */
export function elementOf(type: string, name: string, expression: string): InternalSchemaElement | undefined {
  // Before the lookup: the definitions are plain objects, where '__proto__' finds Object.prototype.
  refusePrototypeKey(name, expression);
  if (!tryGetDataType(type)) return undefined;
  const element = getElementDefinition(type, name);
  // Unknown names are errors rather than FHIRPath's empty result: a typo must not become a silent no-op delete.
  if (!element) throw new PatchError(`Unknown element '${name}' on ${type} in ${expression}`, expression);
  return element;
}

/** The type code of a value held by `element` under JSON property `key`. */
export function typeOfProperty(
  element: InternalSchemaElement | undefined,
  key: string,
  value: unknown,
): string {
  if (isResource(value)) return value.resourceType;
  if (!element) return UNTYPED;
  if (element.path.endsWith('[x]')) {
    const base = baseName(element);
    const match = element.type.find((t) => base + capitalize(t.code) === key);
    if (match) return match.code;
  }
  return element.type[0]?.code ?? UNTYPED;
}

/** The property name of an element without any choice suffix: 'value' for 'Observation.value[x]'. */
export function baseName(element: InternalSchemaElement): string {
  return element.path.slice(element.path.lastIndexOf('.') + 1).replace('[x]', '');
}

/** Upper-cases the first letter, as choice-type JSON names do ('dateTime' → 'DateTime'). */
export function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function isResource(value: unknown): value is { resourceType: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { resourceType?: unknown }).resourceType === 'string'
  );
}

function parse(expression: string): Atom {
  try {
    const ast = parseFhirPath(expression);
    return ast instanceof FhirPathAtom ? ast.child : ast;
  } catch (err) {
    throw new PatchError(`Invalid FHIRPath ${expression}: ${(err as Error).message}`, expression);
  }
}

/** Walks the subset of FHIRPath that selects elements; anything else is rejected rather than guessed. */
class Evaluator {
  constructor(
    private readonly root: Location,
    private readonly expression: string,
  ) {}

  eval(atom: Atom, input: Location[]): Location[] {
    if (atom instanceof FhirPathAtom) return this.eval(atom.child, input);
    if (atom instanceof SymbolAtom) return this.symbol(atom.name, input);
    if (atom instanceof DotAtom) return this.eval(atom.right, this.eval(atom.left, input));
    if (atom instanceof IndexerAtom) {
      const items = this.eval(atom.left, input);
      const index = this.integer(atom.expr);
      return index < items.length ? [items[index]] : [];
    }
    if (atom instanceof AsAtom) return this.ofType(this.eval(atom.left, input), atom.right);
    if (atom instanceof FunctionAtom) return this.call(atom, input);
    return this.unsupported(atom.toString());
  }

  private symbol(name: string, input: Location[]): Location[] {
    if (name === '%resource' || name === '%rootResource' || name === '%context') return [this.root];
    if (name === '$this') return input;
    return input.flatMap((location) => {
      // A leading type name ('Patient.birthDate') selects the resource itself, as in FHIRPath.
      if (isResource(location.value) && location.value.resourceType === name) return [location];
      return this.children(location, name);
    });
  }

  private children(parent: Location, name: string): Location[] {
    const obj = parent.value;
    // Primitives have no navigable children here (their `_name` extensions are out of scope).
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return [];
    const element = elementOf(parent.type, name, this.expression);
    const keys =
      element?.path.endsWith('[x]') && name === baseName(element)
        ? element.type.map((t) => name + capitalize(t.code))
        : [name];
    const found: Location[] = [];
    for (const key of keys) {
      const value = (obj as Record<string, unknown>)[key];
      if (value === undefined || value === null) continue;
      const items = Array.isArray(value) ? value : [value];
      items.forEach((item, i) => {
        if (item === null || item === undefined) return; // holes left by primitive-extension-only entries
        const index = Array.isArray(value) ? i : undefined;
        found.push({ value: item, type: typeOfProperty(element, key, item), element, parent, key, index });
      });
    }
    return found;
  }

  private call(fn: FunctionAtom, input: Location[]): Location[] {
    const arity = (n: number) => {
      if (fn.args.length !== n) this.unsupported(`${fn.name}() with ${fn.args.length} argument(s)`);
    };
    switch (fn.name) {
      case 'where':
        arity(1);
        return input.filter((location) => this.test(fn.args[0], location));
      case 'first':
        arity(0);
        return input.slice(0, 1);
      case 'last':
        arity(0);
        return input.slice(-1);
      case 'tail':
        arity(0);
        return input.slice(1);
      case 'skip':
        arity(1);
        return input.slice(Math.max(0, this.integer(fn.args[0])));
      case 'take':
        arity(1);
        return input.slice(0, Math.max(0, this.integer(fn.args[0])));
      case 'single':
        arity(0);
        if (input.length > 1) {
          throw new PatchError(`single() found ${input.length} elements in ${this.expression}`);
        }
        return input;
      case 'ofType':
        arity(1);
        return this.ofType(input, fn.args[0]);
      default:
        return this.unsupported(`${fn.name}()`);
    }
  }

  /** Runs a where() criterion with @medplum/core on one candidate element. */
  private test(criterion: Atom, location: Location): boolean {
    const candidate: TypedValue = { type: location.type, value: location.value };
    const resource: TypedValue = { type: this.root.type, value: this.root.value };
    try {
      const variables = {
        $this: candidate,
        '%resource': resource,
        '%rootResource': resource,
        '%context': resource,
      };
      return toJsBoolean(criterion.eval({ variables }, [candidate]));
    } catch (err) {
      throw new PatchError(`Cannot evaluate ${this.expression}: ${(err as Error).message}`, this.expression);
    }
  }

  private ofType(input: Location[], typeAtom: Atom): Location[] {
    // `Quantity` or the qualified `FHIR.Quantity`.
    const qualified =
      typeAtom instanceof DotAtom && typeAtom.left instanceof SymbolAtom && typeAtom.left.name === 'FHIR';
    const type = qualified ? typeAtom.right : typeAtom;
    if (!(type instanceof SymbolAtom)) return this.unsupported(`type specifier ${typeAtom.toString()}`);
    return input.filter((location) => location.type === type.name);
  }

  private integer(atom: Atom): number {
    const value = atom instanceof LiteralAtom ? atom.value.value : undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      return this.unsupported(`index ${atom.toString()} (only integer literals are supported)`);
    }
    return value;
  }

  private unsupported(what: string): never {
    throw new PatchError(`Unsupported FHIRPath in patch path ${this.expression}: ${what}`, this.expression);
  }
}
