/* crm_analytics: analytic CRM inside PostgreSQL (install script, made by the Makefile from the src/<capability>.sql files) */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION crm_analytics" to load this file. \quit

-- The functions run with the caller's rights and read only what the caller
-- may read, so every role may use them (as for functions in schema public).
GRANT USAGE ON SCHEMA crm TO PUBLIC;

