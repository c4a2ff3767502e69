package dev.sdp.ycsb;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.Vector;
import site.ycsb.ByteArrayByteIterator;
import site.ycsb.ByteIterator;
import site.ycsb.DB;
import site.ycsb.Status;

/**
 * A YCSB binding that stores each record as a hash, one hash field per YCSB field, as YCSB's
 * Redis binding does: reads are HGETALL, inserts and updates HSET, deletes DEL. Subclasses say how
 * the commands reach the server. Scans are not part of workloads A and C and are not supported.
 */
abstract class HashRecordDB extends DB {
    /** HGETALL: the record's fields, empty when it does not exist. */
    abstract Map<String, byte[]> hgetall(String key) throws Exception;

    /** HSET of the given fields. */
    abstract void hset(String key, Map<String, byte[]> fields) throws Exception;

    /** DEL: how many keys were removed. */
    abstract long del(String key) throws Exception;

    @Override
    public final Status read(String table, String key, Set<String> fields, Map<String, ByteIterator> result) {
        try {
            Map<String, byte[]> hash = hgetall(key);
            if (hash.isEmpty()) {
                return Status.NOT_FOUND;
            }
            hash.forEach((field, value) -> {
                if (fields == null || fields.contains(field)) {
                    result.put(field, new ByteArrayByteIterator(value));
                }
            });
            return Status.OK;
        } catch (Exception e) {
            return Status.ERROR;
        }
    }

    @Override
    public final Status scan(String table, String startkey, int recordcount, Set<String> fields, Vector<HashMap<String, ByteIterator>> result) {
        return Status.NOT_IMPLEMENTED;
    }

    @Override
    public final Status update(String table, String key, Map<String, ByteIterator> values) {
        return insert(table, key, values);
    }

    @Override
    public final Status insert(String table, String key, Map<String, ByteIterator> values) {
        try {
            Map<String, byte[]> fields = new LinkedHashMap<>();
            values.forEach((field, value) -> fields.put(field, value.toArray()));
            hset(key, fields);
            return Status.OK;
        } catch (Exception e) {
            return Status.ERROR;
        }
    }

    @Override
    public final Status delete(String table, String key) {
        try {
            return del(key) == 1 ? Status.OK : Status.NOT_FOUND;
        } catch (Exception e) {
            return Status.ERROR;
        }
    }
}
