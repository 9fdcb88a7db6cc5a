// Rep screens: today's round, customers, customer sheet, visit, new prospect.
export default {
};
