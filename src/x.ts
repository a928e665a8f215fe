import { systemClock } from './platform/clock.js';
import { loadConfig } from './platform/config.js';
import { openDatabase } from './platform/database.js';
import { migrate } from './platform/migrate.js';
import { buildApp } from './server/app.js';

const database = await openDatabase('sqlite::memory:');
await migrate(database);
const { app } = await buildApp(loadConfig({}), { database, clock: systemClock });
const show = (r: any) => console.log(r.statusCode, r.headers.etag ?? '', r.body.slice(0, 300));
const r = await app.inject({
  method: 'POST',
  url: '/fhir/Patient',
  payload: {
    resourceType: 'Patient',
    name: [{ family: 'Smith', given: ['Ann'] }],
    gender: 'female',
    birthDate: '1950-03-04',
  },
});
show(r);
const id = JSON.parse(r.body).id;
show(await app.inject({ method: 'GET', url: `/fhir/Patient/${id}` }));
show(
  await app.inject({
    method: 'PUT',
    url: `/fhir/Patient/${id}`,
    headers: { 'if-match': 'W/"1"' },
    payload: { resourceType: 'Patient', id, gender: 'male' },
  }),
);
show(
  await app.inject({
    method: 'PUT',
    url: `/fhir/Patient/${id}`,
    headers: { 'if-match': 'W/"1"' },
    payload: { resourceType: 'Patient', id, gender: 'male' },
  }),
);
show(
  await app.inject({
    method: 'POST',
    url: '/fhir/Patient',
    payload: { resourceType: 'Patient', gender: 'bogus' },
  }),
);
show(
  await app.inject({ method: 'POST', url: '/fhir/Patient', payload: { resourceType: 'Patient', foo: 1 } }),
);
show(
  await app.inject({
    method: 'POST',
    url: '/fhir/Patient',
    headers: { 'content-type': 'application/fhir+json' },
    payload: '{bad',
  }),
);
show(
  await app.inject({
    method: 'POST',
    url: '/fhir/Observation',
    payload: {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: 'Patient/nope' },
    },
  }),
);
show(await app.inject({ method: 'GET', url: `/fhir/Patient?name=smi&gender=male` }));
show(await app.inject({ method: 'GET', url: `/fhir/Patient?birthdate=1950-03` }));
show(await app.inject({ method: 'GET', url: `/fhir/Patient?foo=1` }));
show(
  await app.inject({
    method: 'PATCH',
    url: `/fhir/Patient/${id}`,
    headers: { 'content-type': 'application/json-patch+json' },
    payload: JSON.stringify([{ op: 'add', path: '/active', value: true }]),
  }),
);
show(await app.inject({ method: 'GET', url: `/fhir/Patient/${id}/_history` }));
show(await app.inject({ method: 'DELETE', url: `/fhir/Patient/${id}` }));
show(await app.inject({ method: 'GET', url: `/fhir/Patient/${id}` }));
show(await app.inject({ method: 'GET', url: `/fhir/metadata` }));
