-- Every area of the Kemendagri code list the build loaded (kota, kecamatan, kelurahan), by code.
SELECT code, level, name, parent_code FROM wilayah ORDER BY code
