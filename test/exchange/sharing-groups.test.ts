import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nameUuid } from '../../src/exchange/marking.ts';
import { readMispEvent, type Publisher } from '../../src/exchange/misp.ts';

const ME: Publisher = { name: 'Beta installation', uuid: nameUuid('publisher/beta') };
const OTHER = nameUuid('publisher/gamma');

const group = (id: string, members: string[]) => ({ id, uuid: nameUuid(`group/${id}`), name: `Group ${id}`, SharingGroupOrg: members.map((uuid, i) => ({ id: String(i + 1), sharing_group_id: id, org_id: String(i + 1), Organisation: { id: String(i + 1), name: `org ${i}`, uuid } })) });

/** A derisk note attribute as misp.ts writes it, with the distribution fields given. */
const note = (uuid: string, fields: Record<string, unknown>) => ({
  uuid,
  type: 'text',
  category: 'External analysis',
  value: 'Tsinghua University',
  ...fields,
  Tag: [{ name: 'tlp:green' }, { name: 'derisk:subject="name:Tsinghua University"' }],
  Note: [{ note: `note ${uuid}`, created: '2026-11-30 12:00:00' }],
});
const U = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

test("MISP sharing groups: an item for a group is taken only by a member; inherited distribution is the event's; a group without its members is refused with the reason", () => {
  const event = {
    Event: {
      uuid: U(99),
      info: 'x',
      distribution: '4',
      sharing_group_id: '7',
      SharingGroup: group('7', [ME.uuid, OTHER]),
      Orgc: { name: 'University A' },
      Tag: [{ name: 'tlp:green' }],
      Attribute: [
        note(U(1), { distribution: '4', sharing_group_id: '3', SharingGroup: group('3', [ME.uuid]) }),
        note(U(2), { distribution: '4', sharing_group_id: '4', SharingGroup: group('4', [OTHER]) }),
        note(U(3), { distribution: '5' }),
        note(U(4), { distribution: '4', sharing_group_id: '5' }),
        note(U(5), { distribution: '4', sharing_group_id: '0', SharingGroup: group('0', [ME.uuid]) }),
        note(U(6), { distribution: '4', sharing_group_id: '6', SharingGroup: group('8', [ME.uuid]) }),
        note(U(7), { distribution: '1', sharing_group_id: '0' }),
      ],
    },
  };
  const r = readMispEvent(event, 'e.json', ME);
  assert.deepEqual(
    r.items.map((i) => [i.uuid, i.distribution]),
    [
      [U(1), '4'],
      [U(3), '4'],
      [U(7), '1'],
    ],
  );
  const why = Object.fromEntries(r.refused.map((x) => [x.uuid, x.reason]));
  assert.match(why[U(2)]!, /restricted to sharing group "Group 4", of which this installation \(Beta installation\) is not a member/);
  assert.match(why[U(4)]!, /distribution 4 \(sharing group 5\) but the attribute carries no SharingGroup/);
  assert.match(why[U(5)]!, /names no sharing_group_id/);
  assert.match(why[U(6)]!, /sharing_group_id 6 but the SharingGroup given is "8"/);

  // Read by an installation that is in no group, or that does not say who it is: nothing for groups is taken.
  for (const self of [{ name: 'Gamma', uuid: nameUuid('publisher/delta') }, undefined]) {
    assert.deepEqual(
      readMispEvent(event, 'e.json', self).items.map((i) => i.uuid),
      [U(7)],
    );
  }
  // Inheriting an event meant for its organisation only is refused like the event.
  const own = readMispEvent({ Event: { ...event.Event, distribution: '0', Attribute: [note(U(8), { distribution: '5' })] } }, 'e.json', ME);
  assert.match(own.refused[0]!.reason, /Your organisation only/);
});
